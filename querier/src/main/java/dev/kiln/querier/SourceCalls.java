package dev.kiln.querier;

import com.google.common.util.concurrent.ListenableFuture;
import dev.kiln.common.ErrorCode;
import dev.kiln.common.KilnException;
import dev.kiln.common.server.GrpcErrors;
import dev.kiln.proto.query.v1.QueryServiceGrpc;
import dev.kiln.querier.QuerySources.Plan;
import dev.kiln.querier.QuerySources.Source;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The calls of one query to the sources of its plan. Each source is called on its preferred
 * replica; when that call fails the next replica is tried, and a source whose replicas have all
 * failed is down for the rest of the query. Later calls to a source go to the replica that last
 * answered. Whether the query can do without the sources that are down is the plan's tolerance
 * ({@link #checkTolerance()}).
 *
 * <p>Calls are issued from the caller's thread in rounds (all pending sources in parallel, then
 * the failed ones on their next replica), so they carry the caller's gRPC context: tenant and
 * deadline. Not thread-safe: one query thread drives it.
 */
final class SourceCalls {
    private static final Logger log = LoggerFactory.getLogger(SourceCalls.class);

    /**
     * Errors that say the request is wrong or not allowed: every replica would answer the same,
     * so they go back to the client. Anything else (unavailable, deadline, internal, damaged
     * block) is the source's failure and is retried on its next replica.
     */
    private static final Set<ErrorCode> REQUEST_ERRORS = EnumSet.of(ErrorCode.INVALID_ARGUMENT, ErrorCode.FAILED_PRECONDITION,
            ErrorCode.OUT_OF_RANGE, ErrorCode.UNAUTHENTICATED, ErrorCode.PERMISSION_DENIED, ErrorCode.RESOURCE_EXHAUSTED,
            ErrorCode.CANCELED);

    /** One call to a source: the request for {@code source}, sent through {@code stub}. */
    @FunctionalInterface
    interface Call<T> {
        ListenableFuture<T> start(QueryServiceGrpc.QueryServiceFutureStub stub, int source);
    }

    private final Plan plan;
    /** Per source, the index of the replica to call next. */
    private final int[] replica;
    /** Sources down (every replica failed), by index, with the last error. */
    private final Map<Integer, String> down = new LinkedHashMap<>();

    SourceCalls(Plan plan) {
        this.plan = plan;
        this.replica = new int[plan.sources().size()];
    }

    List<Source> sources() {
        return plan.sources();
    }

    boolean isDown(int source) {
        return down.containsKey(source);
    }

    /** Indexes of every source not down. */
    List<Integer> live() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < replica.length; i++) {
            if (!isDown(i)) {
                out.add(i);
            }
        }
        return out;
    }

    /**
     * Calls each of {@code sources} (indexes into the plan) until one of its replicas answers.
     * Returns the answers by source index, in the order given; a source missing from the result
     * is down. Request errors are thrown as they come.
     */
    <T> Map<Integer, T> call(List<Integer> sources, Call<T> call) {
        Map<Integer, T> answers = new LinkedHashMap<>();
        call(sources, call, answers::put);
        return answers;
    }

    /**
     * Like {@link #call(List, Call)}, handing each answer to {@code onAnswer} (source index, answer)
     * as it is taken instead of keeping them all; returns the sources that answered. When
     * {@code onAnswer} throws, the calls still in flight are cancelled.
     */
    <T> Set<Integer> call(List<Integer> sources, Call<T> call, BiConsumer<Integer, T> onAnswer) {
        Set<Integer> answered = new java.util.HashSet<>();
        List<Integer> pending = sources.stream().filter(i -> !isDown(i)).toList();
        while (!pending.isEmpty()) {
            Map<Integer, ListenableFuture<T>> inFlight = new LinkedHashMap<>();
            for (int i : pending) {
                inFlight.put(i, call.start(stub(i), i));
            }
            List<Integer> retry = new ArrayList<>();
            for (var e : inFlight.entrySet()) {
                int i = e.getKey();
                T answer;
                try {
                    answer = e.getValue().get();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    cancel(inFlight);
                    throw GrpcErrors.toKiln(ie);
                } catch (ExecutionException ee) {
                    Throwable cause = ee.getCause();
                    if (REQUEST_ERRORS.contains(GrpcErrors.code(cause))) {
                        cancel(inFlight);
                        throw GrpcErrors.toKiln(cause);
                    }
                    if (failed(i, cause)) {
                        retry.add(i);
                    }
                    continue;
                }
                answered.add(i);
                try {
                    onAnswer.accept(i, answer);
                } catch (RuntimeException | Error consumerFailed) {
                    cancel(inFlight);
                    throw consumerFailed;
                }
            }
            pending = retry;
        }
        return answered;
    }

    private QueryServiceGrpc.QueryServiceFutureStub stub(int source) {
        // Trusted peers; key lists and trees of big queries exceed gRPC's 4 MiB default.
        return QueryServiceGrpc.newFutureStub(plan.sources().get(source).replicas().get(replica[source]))
                .withMaxInboundMessageSize(Integer.MAX_VALUE);
    }

    /** Records a failed call; true when the source has another replica to try. */
    private boolean failed(int source, Throwable cause) {
        Source s = plan.sources().get(source);
        String error = GrpcErrors.code(cause).name() + ": " + GrpcErrors.message(cause);
        log.atWarn().addKeyValue("source", s.name()).addKeyValue("replica", replica[source])
                .addKeyValue("err", error).log("query call to a source failed");
        replica[source]++;
        if (replica[source] < s.replicas().size()) {
            return true;
        }
        down.put(source, error);
        return false;
    }

    private static void cancel(Map<Integer, ? extends ListenableFuture<?>> calls) {
        calls.values().forEach(f -> f.cancel(true));
    }

    /**
     * Throws {@code unavailable}, naming the sources that are down, when the answer cannot be
     * exact without them: any of them is not tolerable, or more tolerable ones are down than the
     * plan tolerates.
     */
    void checkTolerance() {
        long tolerable = down.keySet().stream().filter(i -> plan.sources().get(i).tolerable()).count();
        boolean essential = tolerable < down.size();
        if (essential || tolerable > plan.toleratedFailures()) {
            String which = down.entrySet().stream()
                    .map(e -> plan.sources().get(e.getKey()).name() + " (" + e.getValue() + ")")
                    .collect(Collectors.joining(", "));
            String rule = essential
                    ? "every replica of a source without a substitute failed"
                    : tolerable + " of the replicated sources failed, at most " + plan.toleratedFailures() + " may";
            throw new KilnException(ErrorCode.UNAVAILABLE, "query sources unavailable: " + which + "; " + rule);
        }
    }
}
