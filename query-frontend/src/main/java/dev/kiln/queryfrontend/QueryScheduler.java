package dev.kiln.queryfrontend;

import dev.kiln.common.KilnException;
import dev.kiln.common.limits.TenantLimits;
import dev.kiln.common.server.GrpcErrors;
import dev.kiln.common.tenant.Tenants;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The query-frontend's fair queue (the job of Pyroscope's query-scheduler, kept in process). Every
 * querier call is a sub-query queued under its tenant. A free slot (of
 * {@code frontend.querier_parallelism}) goes to the tenant served longest ago (one that has not
 * been served yet goes first), so a tenant with a thousand queued parts delays another tenant's
 * query by at most one part per slot. A tenant runs at most {@code limits.max_concurrent_queries}
 * sub-queries at once and queues at most {@code frontend.max_outstanding_per_tenant}; beyond that
 * its queries get resource_exhausted.
 *
 * <p>Sub-queries go to the querier channel with the fewest in flight. A call that fails with a
 * transport or server error is retried once on the next channel; with a single channel on that
 * one again, whose load balancer picks another querier when its address names several.
 */
final class QueryScheduler {
    private static final Logger log = LoggerFactory.getLogger(QueryScheduler.class);
    /** Failures another querier may not have; client errors (bad input, limits) fail the same everywhere. */
    private static final Set<io.grpc.Status.Code> RETRIED = EnumSet.of(io.grpc.Status.Code.UNAVAILABLE, io.grpc.Status.Code.UNKNOWN,
            io.grpc.Status.Code.INTERNAL, io.grpc.Status.Code.ABORTED, io.grpc.Status.Code.DEADLINE_EXCEEDED);

    /** One sub-query: a call to whichever querier the scheduler picks. */
    @FunctionalInterface
    interface Call<T> {
        T call(Channel querier);
    }

    private final List<Channel> queriers;
    private final int parallelism;
    private final int maxQueuedPerTenant;
    private final TenantLimits limits;
    private final Executor executor;
    private final MeterRegistry registry;
    private final Counter retries;

    // Guarded by this.
    private final Map<String, TenantQueue> tenants = new LinkedHashMap<>();
    private final int[] inFlight;
    private int inFlightTotal;
    private long dispatched;
    private int nextQuerier;
    private final Set<String> gaugedTenants = new HashSet<>();

    /** A tenant with queued or running sub-queries. */
    private static final class TenantQueue {
        final ArrayDeque<Part<?>> queued = new ArrayDeque<>();
        int running;
        /** Dispatch number of the tenant's latest sub-query; 0 for a tenant that has not been served since it became active. */
        long lastServed;
    }

    private record Part<T>(Batch<T> batch, Call<T> call, Context context) {}

    /** The sub-queries of one query. Their answers reach {@code onResult} one at a time, as they arrive. */
    private static final class Batch<T> {
        final String tenant;
        final Consumer<? super T> onResult;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        private int remaining;

        Batch(String tenant, int parts, Consumer<? super T> onResult) {
            this.tenant = tenant;
            this.remaining = parts;
            this.onResult = onResult;
        }

        /** Merges one answer; returns whether it was the last, so the caller completes the query (after freeing its slot). */
        synchronized boolean deliver(T result) {
            if (done.isDone()) {
                return false; // another part failed: the query's answer is gone
            }
            onResult.accept(result);
            return --remaining == 0;
        }
    }

    /**
     * @param queriers channels to the queriers, at least one
     * @param parallelism sub-queries in flight at once over all queriers
     * @param executor runs the sub-queries, which block on the queriers
     */
    QueryScheduler(List<Channel> queriers, int parallelism, int maxQueuedPerTenant, TenantLimits limits, Executor executor,
            MeterRegistry registry) {
        if (queriers.isEmpty()) {
            throw new IllegalArgumentException("the query-frontend needs at least one querier");
        }
        this.queriers = List.copyOf(queriers);
        this.parallelism = parallelism;
        this.maxQueuedPerTenant = maxQueuedPerTenant;
        this.limits = limits;
        this.executor = executor;
        this.registry = registry;
        this.inFlight = new int[queriers.size()];
        this.retries = Counter.builder("pyroscope.query.frontend.retries")
                .description("Sub-queries retried on another querier after a failure.").register(registry);
    }

    /**
     * Queues the sub-queries of one query of {@code tenant}, all or none, in the current gRPC
     * context (which carries the tenant to the queriers).
     *
     * @param onResult receives each answer as it arrives, never two at once, on the scheduler's threads
     * @return completes when every answer has been handed to {@code onResult}, or with the first failure
     *     (the query's sub-queries still queued are then dropped)
     * @throws KilnException resource_exhausted when the tenant's queue cannot take all of them
     */
    <T> CompletableFuture<Void> submit(String tenant, List<? extends Call<T>> calls, Consumer<? super T> onResult) {
        Batch<T> batch = new Batch<>(tenant, calls.size(), onResult);
        if (calls.isEmpty()) {
            batch.done.complete(null);
            return batch.done;
        }
        Context context = Context.current();
        synchronized (this) {
            TenantQueue q = tenants.get(tenant);
            int queued = q == null ? 0 : q.queued.size();
            if (queued + calls.size() > maxQueuedPerTenant) {
                throw KilnException.resourceExhausted("too many outstanding queries for tenant '" + tenant + "': " + queued
                        + " sub-queries are queued and this query adds " + calls.size() + ", more than "
                        + QueryFrontendConfig.MAX_OUTSTANDING_PER_TENANT.path() + " (" + maxQueuedPerTenant
                        + "); retry later or query a shorter range");
            }
            if (q == null) {
                q = new TenantQueue();
                tenants.put(tenant, q);
                registerGauge(tenant);
            }
            for (Call<T> c : calls) {
                q.queued.add(new Part<>(batch, c, context));
            }
            dispatch();
        }
        return batch.done;
    }

    /** Starts queued sub-queries while slots are free. */
    private void dispatch() {
        while (inFlightTotal < parallelism) {
            String tenant = null;
            TenantQueue next = null;
            for (Map.Entry<String, TenantQueue> e : tenants.entrySet()) {
                TenantQueue q = e.getValue();
                if (!q.queued.isEmpty() && !atConcurrencyLimit(e.getKey(), q) && (next == null || q.lastServed < next.lastServed)) {
                    tenant = e.getKey();
                    next = q;
                }
            }
            if (next == null) {
                return;
            }
            Part<?> part = next.queued.poll();
            int querier = pickQuerier();
            next.running++;
            next.lastServed = ++dispatched;
            inFlight[querier]++;
            inFlightTotal++;
            String t = tenant;
            try {
                executor.execute(() -> run(t, part, querier));
            } catch (RejectedExecutionException e) {
                release(t, querier);
                fail(part.batch(), KilnException.unavailable("the query-frontend is shutting down"));
            }
        }
    }

    private boolean atConcurrencyLimit(String tenant, TenantQueue q) {
        int max = limits.forTenant(Tenants.split(tenant).get(0)).maxConcurrentQueries();
        return max > 0 && q.running >= max;
    }

    /** The querier with the fewest sub-queries in flight, rotating among equals. */
    private int pickQuerier() {
        int n = queriers.size();
        int best = -1;
        for (int i = 0; i < n; i++) {
            int c = (nextQuerier + i) % n;
            if (best < 0 || inFlight[c] < inFlight[best]) {
                best = c;
            }
        }
        nextQuerier = (best + 1) % n;
        return best;
    }

    private <T> void run(String tenant, Part<T> part, int querier) {
        boolean last = false;
        try {
            if (!part.batch().done.isDone()) {
                // The answer is merged before the slot is freed, so at most one unmerged answer exists per slot.
                T result = part.context().call(() -> callWithRetry(part.call(), querier));
                last = part.batch().deliver(result);
            }
        } catch (Throwable e) {
            fail(part.batch(), e);
        } finally {
            synchronized (this) {
                release(tenant, querier);
                dispatch();
            }
        }
        if (last) {
            // completed only now, so whoever waits for the query sees its slots free
            part.batch().done.complete(null);
        }
    }

    private void release(String tenant, int querier) {
        inFlight[querier]--;
        inFlightTotal--;
        TenantQueue q = tenants.get(tenant);
        q.running--;
        if (q.running == 0 && q.queued.isEmpty()) {
            tenants.remove(tenant);
        }
    }

    private <T> T callWithRetry(Call<T> call, int querier) {
        try {
            return call.call(queriers.get(querier));
        } catch (StatusRuntimeException e) {
            if (!RETRIED.contains(e.getStatus().getCode())) {
                throw e;
            }
            int next = (querier + 1) % queriers.size();
            retries.increment();
            log.atWarn().addKeyValue("querier", queriers.get(querier).authority()).addKeyValue("retry_on", queriers.get(next).authority())
                    .addKeyValue("code", e.getStatus().getCode()).addKeyValue("error", GrpcErrors.message(e))
                    .log("sub-query failed, retrying on another querier");
            return call.call(queriers.get(next));
        }
    }

    /** Drops the query's queued sub-queries, then fails it (in this order, so its caller sees them gone). */
    private void fail(Batch<?> batch, Throwable e) {
        synchronized (this) {
            TenantQueue q = tenants.get(batch.tenant);
            if (q != null) {
                q.queued.removeIf(p -> p.batch() == batch);
                if (q.running == 0 && q.queued.isEmpty()) {
                    tenants.remove(batch.tenant);
                }
            }
        }
        batch.done.completeExceptionally(e);
    }

    private void registerGauge(String tenant) {
        if (gaugedTenants.add(tenant)) {
            Gauge.builder("pyroscope.query.frontend.queue.length", this, s -> s.queued(tenant)).tag("tenant", tenant)
                    .description("Sub-queries waiting in the query-frontend's fair queue.").register(registry);
        }
    }

    /** Sub-queries of {@code tenant} waiting for a slot. */
    synchronized int queued(String tenant) {
        TenantQueue q = tenants.get(tenant);
        return q == null ? 0 : q.queued.size();
    }

    /** Sub-queries of {@code tenant} running on the queriers. */
    synchronized int running(String tenant) {
        TenantQueue q = tenants.get(tenant);
        return q == null ? 0 : q.running;
    }
}
