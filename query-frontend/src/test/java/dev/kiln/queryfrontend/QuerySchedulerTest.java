package dev.kiln.queryfrontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.ErrorCode;
import dev.kiln.common.KilnException;
import dev.kiln.common.limits.TenantLimits;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class QuerySchedulerTest {
    // Stand-ins for two queriers: the calls below only look at which one they were given.
    private final ManagedChannel q0 = InProcessChannelBuilder.forName("querier-0").build();
    private final ManagedChannel q1 = InProcessChannelBuilder.forName("querier-1").build();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @AfterEach
    void close() {
        q0.shutdownNow();
        q1.shutdownNow();
        executor.shutdownNow();
    }

    private QueryScheduler scheduler(List<Channel> queriers, int parallelism, int maxQueued, TenantLimits limits) {
        return new QueryScheduler(queriers, parallelism, maxQueued, limits, executor, registry);
    }

    /** A sub-query that records that it started, then waits for a permit of {@code gate}. */
    private static QueryScheduler.Call<String> gated(String name, List<String> started, Semaphore gate) {
        return querier -> {
            started.add(name);
            gate.acquireUninterruptibly();
            return name;
        };
    }

    @Test
    void aTenantWithAThousandQueuedPartsDoesNotStarveAnotherTenantsQuery() {
        QueryScheduler s = scheduler(List.of(q0), 1, 2048, FrontendLimits.of(0, "0s"));
        List<String> started = Collections.synchronizedList(new ArrayList<>());
        Semaphore gate = new Semaphore(0);
        List<QueryScheduler.Call<String>> big = IntStream.range(0, 1000).mapToObj(i -> gated("a" + i, started, gate)).toList();
        CompletableFuture<Void> a = s.submit("A", big, r -> {});
        // a0 holds the only slot until the gate opens; b0 arrives behind 999 queued parts of A.
        CompletableFuture<Void> b = s.submit("B", List.of(gated("b0", started, gate)), r -> {});
        assertEquals(999, s.queued("A"));
        assertEquals(1, s.queued("B"));
        assertEquals(999.0, registry.get("pyroscope.query.frontend.queue.length").tag("tenant", "A").gauge().value());

        gate.release(1001);
        a.join();
        b.join();
        assertEquals(1001, started.size());
        assertEquals(List.of("a0", "b0", "a1", "a2"), started.subList(0, 4), "B is served as soon as the first slot frees");
        assertEquals(0, s.queued("A"));
    }

    @Test
    void aTenantRunsAtMostItsLimitQueuesAtMostTheMaximumAndOthersAreNotAffected() {
        QueryScheduler s = scheduler(List.of(q0), 8, 3, FrontendLimits.of(2, "0s"));
        Semaphore gate = new Semaphore(0);
        List<String> started = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger maxRunning = new AtomicInteger();
        List<QueryScheduler.Call<String>> parts = IntStream.range(0, 5).mapToObj(i -> (QueryScheduler.Call<String>) querier -> {
            maxRunning.accumulateAndGet(s.running("t"), Math::max);
            return gated("t" + i, started, gate).call(querier);
        }).toList();
        KilnException tooBig = assertThrows(KilnException.class, () -> s.submit("t", parts, r -> {}), "5 parts never fit in a queue of 3");
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, tooBig.code());
        CompletableFuture<Void> first = s.submit("t", parts.subList(0, 2), r -> {});
        CompletableFuture<Void> second = s.submit("t", parts.subList(2, 5), r -> {});
        assertEquals(2, s.running("t"), "limits.max_concurrent_queries");
        assertEquals(3, s.queued("t"));

        KilnException e = assertThrows(KilnException.class, () -> s.submit("t", List.of(querier -> "one more"), r -> {}));
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, e.code());
        assertEquals("too many outstanding queries for tenant 't': 3 sub-queries are queued and this query adds 1, more than "
                + "frontend.max_outstanding_per_tenant (3); retry later or query a shorter range", e.getMessage());

        List<String> other = new ArrayList<>();
        s.submit("other", List.<QueryScheduler.Call<String>>of(querier -> "answer"), other::add).join();
        assertEquals(List.of("answer"), other, "another tenant runs while t waits at its limit");

        gate.release(5);
        first.join();
        second.join();
        assertEquals(2, maxRunning.get());
        assertEquals(5, started.size());
        assertEquals(0, s.running("t"));
    }

    @Test
    void answersAreMergedAsTheyArriveNotAfterTheSlowestPart() {
        QueryScheduler s = scheduler(List.of(q0), 2, 100, FrontendLimits.of(0, "0s"));
        Semaphore slow = new Semaphore(0);
        List<String> merged = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> done = s.submit("t", List.<QueryScheduler.Call<String>>of(querier -> {
            slow.acquireUninterruptibly();
            return "part 0";
        }, querier -> "part 1"), merged::add);
        while (merged.isEmpty()) {
            Thread.onSpinWait();
        }
        assertEquals(List.of("part 1"), merged, "part 1 is merged while part 0 still runs");
        assertFalse(done.isDone());
        slow.release();
        done.join();
        assertEquals(List.of("part 1", "part 0"), merged);
    }

    @Test
    void noMoreAnswersWaitUnmergedThanThereAreSlots() {
        QueryScheduler s = scheduler(List.of(q0, q1), 4, 100, FrontendLimits.of(0, "0s"));
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger merged = new AtomicInteger();
        AtomicInteger maxUnmerged = new AtomicInteger();
        List<QueryScheduler.Call<Integer>> parts = IntStream.range(0, 50).mapToObj(i -> (QueryScheduler.Call<Integer>) querier -> {
            maxUnmerged.accumulateAndGet(answered.incrementAndGet() - merged.get(), Math::max);
            return i;
        }).toList();
        s.submit("t", parts, i -> merged.incrementAndGet()).join();
        assertEquals(50, merged.get());
        assertTrue(maxUnmerged.get() <= 4, "at most one unmerged answer per slot (4), saw " + maxUnmerged.get());
    }

    @Test
    void aFailedPartFailsTheQueryAndDropsItsQueuedParts() {
        QueryScheduler s = scheduler(List.of(q0), 1, 100, FrontendLimits.of(0, "0s"));
        AtomicInteger laterCalls = new AtomicInteger();
        List<QueryScheduler.Call<String>> parts = List.of(querier -> {
            throw Status.INVALID_ARGUMENT.withDescription("bad selector").asRuntimeException();
        }, querier -> "p" + laterCalls.incrementAndGet(), querier -> "p" + laterCalls.incrementAndGet());
        CompletionException e = assertThrows(CompletionException.class, () -> s.submit("t", parts, r -> {}).join());
        assertEquals(Status.Code.INVALID_ARGUMENT, assertInstanceOf(StatusRuntimeException.class, e.getCause()).getStatus().getCode());
        assertEquals(0, laterCalls.get());
        assertEquals(0, s.queued("t"));
    }

    @Test
    void anUnavailableQuerierIsRetriedOnceOnAnotherButBadRequestsAreNot() {
        QueryScheduler s = scheduler(List.of(q0, q1), 1, 100, FrontendLimits.of(0, "0s"));
        List<String> calls = Collections.synchronizedList(new ArrayList<>());
        List<String> answers = new ArrayList<>();
        s.submit("t", List.<QueryScheduler.Call<String>>of(querier -> {
            calls.add(querier == q0 ? "q0" : "q1");
            if (querier == q0) {
                throw Status.UNAVAILABLE.withDescription("connection refused").asRuntimeException();
            }
            return "from q1";
        }), answers::add).join();
        assertEquals(List.of("q0", "q1"), calls);
        assertEquals(List.of("from q1"), answers);
        assertEquals(1.0, registry.get("pyroscope.query.frontend.retries").counter().count());

        calls.clear();
        // The next slot goes to q1 (the scheduler rotates among idle queriers); it rejects the request itself.
        assertThrows(CompletionException.class, () -> s.submit("t", List.<QueryScheduler.Call<String>>of(querier -> {
            calls.add(querier == q0 ? "q0" : "q1");
            throw Status.INVALID_ARGUMENT.withDescription("bad selector").asRuntimeException();
        }), r -> {}).join());
        assertEquals(List.of("q1"), calls, "a bad request fails the same on every querier: no retry");
    }

    @Test
    void withOneQuerierChannelTheRetryUsesItAgain() {
        // A remote channel's round-robin balancer sends the second attempt to the next querier behind its address.
        QueryScheduler s = scheduler(List.of(q0), 4, 100, FrontendLimits.of(0, "0s"));
        List<Channel> used = Collections.synchronizedList(new ArrayList<>());
        CompletionException e = assertThrows(CompletionException.class, () -> s.submit("t", List.<QueryScheduler.Call<String>>of(querier -> {
            used.add(querier);
            throw Status.UNAVAILABLE.withDescription("attempt " + used.size()).asRuntimeException();
        }), r -> {}).join());
        assertEquals(List.of(q0, q0), used);
        assertEquals("attempt 2", assertInstanceOf(StatusRuntimeException.class, e.getCause()).getStatus().getDescription(),
                "the query fails with the retry's error");
    }

    @Test
    void concurrentPartsAreSpreadOverTheQueriers() {
        QueryScheduler s = scheduler(List.of(q0, q1), 2, 100, FrontendLimits.of(0, "0s"));
        Semaphore gate = new Semaphore(0);
        List<Channel> used = Collections.synchronizedList(new ArrayList<>());
        QueryScheduler.Call<String> part = querier -> {
            used.add(querier);
            gate.acquireUninterruptibly();
            return "x";
        };
        CompletableFuture<Void> done = s.submit("t", List.of(part, part, part), r -> {});
        while (used.size() < 2) {
            Thread.onSpinWait();
        }
        assertEquals(Set.of(q0, q1), Set.copyOf(used), "one part per querier, the third waits for one of the two slots");
        assertEquals(1, s.queued("t"));
        gate.release(3);
        done.join();
        assertEquals(3, used.size());
    }
}
