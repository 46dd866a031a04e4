package dev.kiln.queryfrontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.memory.QueryMemoryBudget;
import dev.kiln.common.ErrorCode;
import dev.kiln.common.KilnException;
import dev.kiln.common.server.PeerChannels;
import dev.kiln.common.server.Unary;
import dev.kiln.common.tenant.TenantClientInterceptor;
import dev.kiln.common.tenant.TenantServerInterceptor;
import dev.kiln.common.tenant.Tenants;
import dev.kiln.common.tree.CallTree;
import dev.kiln.proto.query.v1.LabelsRequest;
import dev.kiln.proto.query.v1.QueryServiceGrpc;
import dev.kiln.proto.query.v1.Selection;
import dev.kiln.proto.query.v1.Strings;
import dev.kiln.proto.query.v1.TimeRange;
import dev.kiln.proto.query.v1.Tree;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The query-frontend against a recording querier served over gRPC: queueing, caching, retries and metrics. */
class QueryFrontendIT {
    static final long MINUTE = 60_000L;
    static final long HOUR = 60 * MINUTE;
    static final String CPU = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

    /**
     * Records every call as "tenant method start" and answers trees whose total is the part's length
     * in seconds, so merged totals show that every part was counted once. With a gate, each call
     * waits for a permit first.
     */
    static final class RecordingQuerier extends QueryServiceGrpc.QueryServiceImplBase {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());
        volatile Semaphore gate;

        private void record(String method, long start) {
            calls.add(Tenants.current() + " " + method + " " + start);
            Semaphore g = gate;
            if (g != null) {
                g.acquireUninterruptibly();
            }
        }

        @Override
        public void selectTree(Selection request, StreamObserver<Tree> obs) {
            Unary.run(obs, () -> {
                record("SelectTree", request.getRange().getStart());
                CallTree t = new CallTree();
                t.addStack(new String[] {"main", "work"}, (request.getRange().getEnd() - request.getRange().getStart() + 1) / 1000);
                return t.toProto();
            });
        }

        @Override
        public void labelNames(LabelsRequest request, StreamObserver<Strings> obs) {
            Unary.run(obs, () -> {
                record("LabelNames", request.getRange().getStart());
                return Strings.newBuilder().addValues("seen by the querier as " + Tenants.current()).build();
            });
        }
    }

    private final RecordingQuerier querier = new RecordingQuerier();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables.reversed()) {
            c.close();
        }
        executor.shutdownNow();
    }

    private Channel inProcessQuerier() throws Exception {
        String name = "querier-" + UUID.randomUUID();
        Server server = InProcessServerBuilder.forName(name)
                .addService(ServerInterceptors.intercept(querier, new TenantServerInterceptor(true))).build().start();
        closeables.add(server::shutdownNow);
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        closeables.add(channel::shutdownNow);
        return ClientInterceptors.intercept(channel, TenantClientInterceptor.INSTANCE);
    }

    private QueryFrontend frontend(List<Channel> queriers, int parallelism, int maxOutstanding, String splitInterval) {
        QueryFrontendConfig config = new QueryFrontendConfig(maxOutstanding, parallelism, List.of(), Duration.ofHours(6), 1 << 20);
        return new QueryFrontend(config, queriers, FrontendLimits.of(0, splitInterval), registry, executor,
                QueryMemoryBudget.unlimited());
    }

    private static Selection selection(long start, long end) {
        return Selection.newBuilder().setProfileTypeId(CPU).setLabelSelector("{}").setRange(TimeRange.newBuilder().setStart(start).setEnd(end))
                .build();
    }

    private static Tree tree(QueryFrontend fe, String tenant, Selection s) throws Exception {
        return Tenants.callAs(tenant, () -> fe.timed("SelectMergeStacktraces", () -> fe.tree(s))).toProto();
    }

    private double queueLength(String tenant) {
        var gauge = registry.find("pyroscope.query.frontend.queue.length").tag("tenant", tenant).gauge();
        return gauge == null ? 0 : gauge.value();
    }

    /** Runs a tree query of {@code tenant} on another thread. */
    private CompletableFuture<Tree> treeAsync(QueryFrontend fe, String tenant, Selection s) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return tree(fe, tenant, s);
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, executor);
    }

    /** The seconds the recording querier saw across all parts of a query. */
    private static long seconds(Tree t) {
        return CallTree.fromProto(t).total();
    }

    @Test
    void aTenantsThousandPartsDoNotStarveAnotherTenantsQuery() throws Exception {
        QueryFrontend fe = frontend(List.of(inProcessQuerier()), 1, 2048, "1m");
        querier.gate = new Semaphore(0);
        long now = System.currentTimeMillis();
        long end = Math.floorDiv(now, MINUTE) * MINUTE - 1;
        CompletableFuture<Tree> a = treeAsync(fe, "A", selection(end + 1 - 1000 * MINUTE, end)); // 1000 one-minute parts
        while (queueLength("A") < 999) {
            Thread.onSpinWait(); // one part runs (and waits at the gate), 999 are queued
        }
        CompletableFuture<Tree> b = treeAsync(fe, "B", selection(now - 30_000, now));
        while (queueLength("B") < 1) {
            Thread.onSpinWait();
        }
        querier.gate.release(1001);
        assertEquals(1000 * 60, seconds(a.join()));
        b.join();

        assertEquals(1001, querier.calls.size());
        assertTrue(querier.calls.get(0).startsWith("A "), querier.calls.get(0));
        assertTrue(querier.calls.get(1).startsWith("B "), "B's only part is the second call to reach the querier: " + querier.calls.subList(0, 3));
    }

    @Test
    void aSecondIdenticalHistoricalQueryIsAnsweredFromTheCache() throws Exception {
        QueryFrontend fe = frontend(List.of(inProcessQuerier()), 4, 2048, "1h");
        long hour = Math.floorDiv(System.currentTimeMillis(), HOUR) * HOUR;
        Selection old = selection(hour - 10 * HOUR + 30 * MINUTE, hour - 7 * HOUR + 30 * MINUTE); // 4 parts, ending 6.5 h ago or more
        Tree first = tree(fe, "t", old);
        assertEquals(4, querier.calls.size());
        assertEquals(3 * 3600, seconds(first), "each part counted once");

        Tree second = tree(fe, "t", old);
        assertEquals(4, querier.calls.size(), "no querier call for a cached query");
        assertEquals(first, second);
        assertEquals(4.0, registry.get("pyroscope.query.frontend.results.cache.hits").counter().count());
        assertEquals(4.0, registry.get("pyroscope.query.frontend.results.cache.misses").counter().count());

        tree(fe, "another-tenant", old);
        assertEquals(8, querier.calls.size(), "the cache is per tenant");
    }

    @Test
    void recentPartsAreNeverCached() throws Exception {
        QueryFrontend fe = frontend(List.of(inProcessQuerier()), 4, 2048, "1h");
        long now = System.currentTimeMillis();
        Selection recent = selection(now - 2 * HOUR, now);
        tree(fe, "t", recent);
        int calls = querier.calls.size();
        tree(fe, "t", recent);
        assertEquals(2 * calls, querier.calls.size());
        assertEquals(0.0, registry.get("pyroscope.query.frontend.results.cache.hits").counter().count());
        assertEquals(0.0, registry.get("pyroscope.query.frontend.results.cache.misses").counter().count(), "not even looked up");
    }

    @Test
    void aQueryWithMorePartsThanTheQueueTakesIsRejected() throws Exception {
        QueryFrontend fe = frontend(List.of(inProcessQuerier()), 4, 10, "1m");
        long now = System.currentTimeMillis();
        KilnException e = assertThrows(KilnException.class, () -> tree(fe, "t", selection(now - 30 * MINUTE, now)));
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, e.code());
        assertTrue(e.getMessage().contains("frontend.max_outstanding_per_tenant (10)"), e.getMessage());
        assertEquals(0, querier.calls.size());
    }

    @Test
    void aDownQuerierIsRetriedOnAnotherOverTheNetworkWithTheTenant() throws Exception {
        Server live = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(ServerInterceptors.intercept(querier, new TenantServerInterceptor(true))).build().start();
        closeables.add(live::shutdownNow);
        int down;
        try (ServerSocket s = new ServerSocket(0)) {
            down = s.getLocalPort(); // nothing listens here once the socket is closed
        }
        PeerChannels peers = new PeerChannels(inProcessQuerier(), Integer.MAX_VALUE);
        closeables.add(peers);
        QueryFrontend fe = frontend(List.of(peers.channel("127.0.0.1:" + down), peers.channel("127.0.0.1:" + live.getPort())), 1, 2048, "1h");

        List<String> names = Tenants.callAs("team-a", () -> fe.labelNames(LabelsRequest.getDefaultInstance()));
        assertEquals(List.of("seen by the querier as team-a"), names);
        assertEquals(1.0, registry.get("pyroscope.query.frontend.retries").counter().count(), "the first pick was the down querier");
    }

    @Test
    void metricsRenderWithPyroscopesNames() throws Exception {
        QueryFrontend fe = frontend(List.of(inProcessQuerier()), 4, 2048, "1h");
        long hour = Math.floorDiv(System.currentTimeMillis(), HOUR) * HOUR;
        tree(fe, "t", selection(hour - 9 * HOUR + 30 * MINUTE, hour - 7 * HOUR + 30 * MINUTE)); // 3 historical parts
        String text = registry.scrape();
        for (String series : List.of("pyroscope_query_frontend_duration_seconds_bucket{method=\"SelectMergeStacktraces\",status=\"success\",le=\"0.01\"}",
                "pyroscope_query_frontend_queue_length{tenant=\"t\"} 0", "pyroscope_query_frontend_results_cache_hits_total 0",
                "pyroscope_query_frontend_results_cache_misses_total 3", "pyroscope_query_frontend_results_cache_size_bytes ",
                "pyroscope_query_frontend_retries_total 0")) {
            assertTrue(text.contains(series), series + " missing from:\n" + text);
        }
    }
}
