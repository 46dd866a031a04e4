package dev.kiln.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.kiln.proto.querier.v1.FlameGraph;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesRequest;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Flame-graph queries ({@code querier.v1.QuerierService/SelectMergeStacktraces} over Connect) from
 * parallel clients for a while, each client at least a given number of times; wall-clock latency
 * per query.
 */
final class QueryLoad {
    /** @param flameGraph the last answer, which must not depend on where the data lives (head or blocks) or how it is read */
    record Result(double[] sortedMillis, FlameGraph flameGraph) {
        long total() {
            return flameGraph.getTotal();
        }

        double percentile(double p) {
            int i = (int) Math.ceil(p / 100 * sortedMillis.length) - 1;
            return sortedMillis[Math.max(0, Math.min(sortedMillis.length - 1, i))];
        }
    }

    private QueryLoad() {}

    static Result run(ConnectClient client, String selector, long startMs, long endMs, int clients, double seconds)
            throws InterruptedException {
        return run(client, selector, startMs, endMs, clients, seconds, 1);
    }

    /** Queries until {@code seconds} have passed and each client has made {@code minQueries}. */
    static Result run(ConnectClient client, String selector, long startMs, long endMs, int clients, double seconds, int minQueries)
            throws InterruptedException {
        byte[] request = SelectMergeStacktracesRequest.newBuilder().setProfileTypeID(Workload.CPU_TYPE)
                .setLabelSelector(selector).setStart(startMs).setEnd(endMs).build().toByteArray();
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        List<List<Double>> perClient = new ArrayList<>();
        AtomicReference<FlameGraph> last = new AtomicReference<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        Thread[] threads = new Thread[clients];
        for (int c = 0; c < clients; c++) {
            List<Double> mine = new ArrayList<>();
            perClient.add(mine);
            threads[c] = Thread.ofPlatform().name("bench-query-" + c).daemon().start(() -> {
                do {
                    long t0 = System.nanoTime();
                    try {
                        byte[] body = client.call("querier.v1.QuerierService/SelectMergeStacktraces", request);
                        mine.add((System.nanoTime() - t0) / 1e6);
                        last.set(SelectMergeStacktracesResponse.parseFrom(body).getFlamegraph());
                    } catch (RuntimeException | InvalidProtocolBufferException e) {
                        failure.compareAndSet(null, e);
                        return;
                    }
                } while (System.nanoTime() < deadline || mine.size() < minQueries);
            });
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("flame graph query failed: " + failure.get().getMessage(), failure.get());
        }
        double[] millis = perClient.stream().flatMap(List::stream).mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(millis);
        return new Result(millis, last.get());
    }
}
