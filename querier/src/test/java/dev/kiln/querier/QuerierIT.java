package dev.kiln.querier;

import static dev.kiln.common.block.TestData.CPU;
import static dev.kiln.common.block.TestData.labels;
import static dev.kiln.common.block.TestData.selfByPath;
import static dev.kiln.common.block.TestData.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.memory.QueryMemoryBudget;
import dev.kiln.common.block.BlockWriterConfig;
import dev.kiln.common.block.ParquetBlock;
import dev.kiln.common.block.TestData;
import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.server.KilnServer;
import dev.kiln.common.server.ServerConfig;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.testing.InProcessQueryService;
import dev.kiln.common.testing.InProcessQueryService.FailingMethods;
import dev.kiln.common.tree.CallTree;
import dev.kiln.proto.query.v1.LabelsRequest;
import dev.kiln.proto.query.v1.QueryServiceGrpc;
import dev.kiln.proto.query.v1.RawSeries;
import dev.kiln.proto.query.v1.Selection;
import dev.kiln.proto.query.v1.SeriesSelection;
import dev.kiln.querier.QuerySources.Plan;
import dev.kiln.querier.QuerySources.Source;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A querier on a real server over real query services on in-process gRPC servers. Three
 * "ingesters" A, B, C hold overlapping copies of twelve profiles as replication factor 3 leaves
 * them when some replica writes fail: profile i is on all three when i%4 == 0, else on A+B, B+C or
 * A+C. Every answer must count each profile exactly once, whichever sources fail, or fail with
 * {@code unavailable} when exactness cannot be guaranteed.
 */
class QuerierIT {
    private static final String TENANT = "team-a";
    private static final int PROFILES = 12;
    private static final String[] SELECTS = {"SelectTree", "SelectSeries", "SelectPprof"};

    @TempDir
    static Path tmp;
    private static FilesystemObjectStore store;
    private static final List<InProcessQueryService> services = new ArrayList<>();
    private static final List<ManagedChannel> unreachableChannels = new ArrayList<>();
    private static InProcessQueryService a;
    private static InProcessQueryService b;
    private static InProcessQueryService c;
    /** B's data, but every aggregation fails: B dying between the two phases. */
    private static InProcessQueryService bFailingSelects;
    private static FailingMethods bFaults;
    /** One copy of every profile, like a store-gateway owning a compacted block. */
    private static InProcessQueryService storeGateway;
    /** The same block on a store-gateway whose aggregations fail. */
    private static InProcessQueryService storeGatewayFailingSelects;
    /** Two blocks: the svc0 profiles and the svc1 profiles. */
    private static InProcessQueryService twoBlocks;
    private static ParquetBlock svc0Block;
    private static ParquetBlock svc1Block;

    private static KilnServer server;
    private static volatile Plan plan;
    private static QueryServiceGrpc.QueryServiceBlockingStub querier;

    private static String service(int i) {
        return "svc" + (i % 2);
    }

    private static long timeMs(int i) {
        return 1000L * (i + 1);
    }

    private static String leaf(int i) {
        return "f" + (i % 3);
    }

    private static long value(int i) {
        return (i + 1) * 1000L;
    }

    private static boolean onA(int i) {
        return i % 4 == 0 || i % 4 == 1 || i % 4 == 3;
    }

    private static boolean onB(int i) {
        return i % 4 == 0 || i % 4 == 1 || i % 4 == 2;
    }

    private static boolean onC(int i) {
        return i % 4 == 0 || i % 4 == 2 || i % 4 == 3;
    }

    /** A block holding the profiles {@code holds} accepts. */
    private static ParquetBlock block(IntPredicate holds) throws Exception {
        SymbolTable t = new SymbolTable();
        List<dev.kiln.common.block.BlockSeries> series = new ArrayList<>();
        for (String svc : List.of("svc0", "svc1")) {
            TestData.SeriesBuilder sb = new TestData.SeriesBuilder(labels(CPU, svc));
            boolean any = false;
            for (int i = 0; i < PROFILES; i++) {
                if (holds.test(i) && service(i).equals(svc)) {
                    sb.profile(timeMs(i), "profile-" + i, stack(t, "main", leaf(i)), value(i));
                    any = true;
                }
            }
            if (any) {
                series.add(sb.build());
            }
        }
        return TestData.writeAndOpen(tmp, store, TENANT, series, t.publish(), BlockWriterConfig.DEFAULTS);
    }

    /** A query service holding {@code blocks} for the tenant, restricted by block id when asked. */
    private static InProcessQueryService serve(List<ParquetBlock> blocks, FailingMethods... faults) {
        InProcessQueryService s = new InProcessQueryService((tenant, range, ids) -> tenant.equals(TENANT)
                ? blocks.stream().filter(bl -> ids.isEmpty() || ids.contains(bl.meta().id())).toList()
                : List.of(), faults);
        services.add(s);
        return s;
    }

    @BeforeAll
    static void start() throws Exception {
        store = new FilesystemObjectStore(tmp.resolve("store"));
        ParquetBlock blockA = block(QuerierIT::onA);
        ParquetBlock blockB = block(QuerierIT::onB);
        a = serve(List.of(blockA));
        b = serve(List.of(blockB));
        c = serve(List.of(block(QuerierIT::onC)));
        bFaults = new FailingMethods(SELECTS);
        bFailingSelects = serve(List.of(blockB), bFaults);
        ParquetBlock all = block(i -> true);
        storeGateway = serve(List.of(all));
        storeGatewayFailingSelects = serve(List.of(all), new FailingMethods(SELECTS));
        svc0Block = block(i -> service(i).equals("svc0"));
        svc1Block = block(i -> service(i).equals("svc1"));
        twoBlocks = serve(List.of(svc0Block, svc1Block));

        server = new KilnServer(new ServerConfig("127.0.0.1", 0, "127.0.0.1", 0, 1 << 20, 1 << 20, Duration.ofSeconds(30), true),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        new Querier(range -> plan, QueryMemoryBudget.unlimited()).register(server);
        server.start();
        querier = InProcessQueryService.asTenant(QueryServiceGrpc.newBlockingStub(server.inProcessChannel()), TENANT);
    }

    @AfterAll
    static void stop() {
        server.close();
        services.forEach(InProcessQueryService::close);
        unreachableChannels.forEach(ManagedChannel::shutdownNow);
    }

    /** A channel to a source that is down. */
    private static Channel unreachable() {
        ManagedChannel ch = InProcessQueryService.unreachable();
        unreachableChannels.add(ch);
        return ch;
    }

    private static Source ingester(String name, Channel channel) {
        return new Source(name, List.of(channel), TimeRange.ALL, List.of(), true);
    }

    private static Source ingester(String name, InProcessQueryService s) {
        return ingester(name, s.channel());
    }

    /** Ingesters with replication factor 3: one may fail. */
    private static Plan replicated(Source... sources) {
        return new Plan(List.of(sources), true, 1);
    }

    private static final Selection ALL = Selection.newBuilder().setProfileTypeId(CPU).build();

    private static Map<String, Long> tree() {
        CallTree t = new CallTree();
        t.merge(querier.selectTree(ALL));
        return selfByPath(t);
    }

    /** Per service, bucket time → [sum, count], with one-second buckets (one profile each). */
    private static Map<String, Map<Long, List<Double>>> series() {
        Map<String, Map<Long, List<Double>>> out = new TreeMap<>();
        for (RawSeries r : querier.selectSeries(SeriesSelection.newBuilder().setSelection(ALL).setStepMs(1000)
                .addGroupBy("service_name").build()).getSeriesList()) {
            Map<Long, List<Double>> points = out.computeIfAbsent(r.getLabels(0).getValue(), k -> new TreeMap<>());
            for (int k = 0; k < r.getTimestampsCount(); k++) {
                points.put(r.getTimestamps(k), List.of(r.getSums(k), (double) r.getCounts(k)));
            }
        }
        return out;
    }

    private static long pprofTotal() {
        return querier.selectPprof(ALL).getSampleList().stream().mapToLong(s -> s.getValue(0)).sum();
    }

    /** Asserts the flame graph, the series and the pprof total of every profile counted once. */
    private static void assertExact() {
        Map<String, Long> tree = new TreeMap<>();
        Map<String, Map<Long, List<Double>>> series = new TreeMap<>();
        long total = 0;
        for (int i = 0; i < PROFILES; i++) {
            tree.merge("main;" + leaf(i), value(i), Long::sum);
            series.computeIfAbsent(service(i), k -> new TreeMap<>()).put(timeMs(i), List.of((double) value(i), 1.0));
            total += value(i);
        }
        assertEquals(Map.of("main;f0", 22_000L, "main;f1", 26_000L, "main;f2", 30_000L), tree);
        assertEquals(tree, tree());
        assertEquals(series, series());
        assertEquals(total, pprofTotal());
    }

    private static StatusRuntimeException assertUnavailable(Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
        return e;
    }

    @Test
    void replicatedProfilesAreCountedOnce() {
        plan = replicated(ingester("ingester-a", a), ingester("ingester-b", b), ingester("ingester-c", c));
        assertExact();

        // the same sources without deduplication count replicas: the data really overlaps
        plan = new Plan(plan.sources(), false, 1);
        assertNotEquals(Map.of("main;f0", 22_000L, "main;f1", 26_000L, "main;f2", 30_000L), tree());
        assertEquals(2L * 22_000 + 1000, tree().get("main;f0"));
    }

    @Test
    void oneIngesterDownIsTolerated() {
        plan = replicated(ingester("ingester-a", a), ingester("ingester-b", unreachable()), ingester("ingester-c", c));
        assertExact();
        LabelsRequest services = LabelsRequest.newBuilder().addNames("service_name").build();
        assertEquals(List.of("svc0", "svc1"), querier.labelValues(services).getValuesList());
        assertEquals(2, querier.series(LabelsRequest.getDefaultInstance()).getLabelsSetCount());
        assertTrue(querier.labelNames(LabelsRequest.getDefaultInstance()).getValuesList().contains("service_name"));
        assertEquals(1, querier.profileTypes(dev.kiln.proto.query.v1.TimeRange.getDefaultInstance()).getProfileTypesCount());
    }

    @Test
    void twoIngestersDownAreUnavailable() {
        plan = replicated(ingester("ingester-a", a), ingester("ingester-b", unreachable()),
                ingester("ingester-c", unreachable()));
        StatusRuntimeException e = assertUnavailable(() -> querier.selectTree(ALL));
        String message = e.getStatus().getDescription();
        assertTrue(message.startsWith("query sources unavailable: ingester-b (UNAVAILABLE: "), message);
        assertTrue(message.contains(", ingester-c (UNAVAILABLE: "), message);
        assertTrue(message.endsWith("; 2 of the replicated sources failed, at most 1 may"), message);
        assertUnavailable(() -> querier.labelValues(LabelsRequest.newBuilder().addNames("service_name").build()));
        // without deduplication the same rule holds
        plan = new Plan(plan.sources(), false, 1);
        assertUnavailable(() -> querier.selectSeries(SeriesSelection.newBuilder().setSelection(ALL).setStepMs(1000).build()));
    }

    @Test
    void aSourceFailingWhileAggregatingHandsItsProfilesToOtherReplicas() {
        int before = bFaults.failed();
        plan = replicated(ingester("ingester-a", a), ingester("ingester-b", bFailingSelects), ingester("ingester-c", c));
        assertExact();
        // B listed its keys, was assigned some, and failed on each of tree, series and pprof
        assertEquals(3, bFaults.failed() - before);
    }

    @Test
    void profilesOnlyOnFailedSourcesAreUnavailable() {
        // A is down from the start, B fails after listing: profiles on A+B only have no live holder
        plan = replicated(ingester("ingester-a", unreachable()), ingester("ingester-b", bFailingSelects),
                ingester("ingester-c", c));
        String message = assertUnavailable(() -> querier.selectTree(ALL)).getStatus().getDescription();
        assertTrue(message.contains("ingester-a (UNAVAILABLE: "), message);
        assertTrue(message.contains("ingester-b (UNAVAILABLE: injected failure)"), message);
    }

    @Test
    void aStoreGatewayFailsOverToItsReplicas() {
        Source sg = new Source("store-gateway-1", List.of(unreachable(), storeGateway.channel()),
                TimeRange.ALL, List.of(), false);
        plan = new Plan(List.of(sg), false, 0);
        assertExact();
        plan = new Plan(List.of(sg), true, 0);
        assertExact();
        // the preferred replica lists keys but fails to aggregate: the next one aggregates
        Source flaky = new Source("store-gateway-2", List.of(storeGatewayFailingSelects.channel(), storeGateway.channel()),
                TimeRange.ALL, List.of(), false);
        plan = new Plan(List.of(flaky), true, 0);
        assertExact();
    }

    @Test
    void aStoreGatewayWithoutAnyReplicaLeftIsUnavailableWhateverTheTolerance() {
        Source sg = new Source("store-gateway-1", List.of(unreachable(), unreachable()),
                TimeRange.ALL, List.of(), false);
        plan = new Plan(List.of(ingester("ingester-a", a), sg), true, 1);
        String message = assertUnavailable(() -> querier.selectTree(ALL)).getStatus().getDescription();
        assertTrue(message.startsWith("query sources unavailable: store-gateway-1 (UNAVAILABLE: "), message);
        assertTrue(message.endsWith("; every replica of a source without a substitute failed"), message);
    }

    @Test
    void sourcesReadOnlyTheirBlocks() {
        Source svc0 = new Source("store-gateway-1", List.of(twoBlocks.channel()), TimeRange.ALL, List.of(svc0Block.meta().id()), false);
        Source svc1 = new Source("store-gateway-2", List.of(twoBlocks.channel()), TimeRange.ALL, List.of(svc1Block.meta().id()), false);
        LabelsRequest services = LabelsRequest.newBuilder().addNames("service_name").build();

        plan = new Plan(List.of(svc0), false, 0);
        assertEquals(List.of("svc0"), querier.labelValues(services).getValuesList());
        assertEquals(List.of("svc0"), List.copyOf(series().keySet()));
        plan = new Plan(List.of(svc1), true, 0);
        assertEquals(List.of("svc1"), querier.labelValues(services).getValuesList());
        assertEquals(List.of("svc1"), List.copyOf(series().keySet()));
        // each block routed to one of two sources on the same process: together, everything once
        plan = new Plan(List.of(svc0, svc1), true, 0);
        assertExact();
    }
}
