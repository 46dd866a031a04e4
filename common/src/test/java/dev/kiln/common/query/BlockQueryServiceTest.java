package dev.kiln.common.query;

import static dev.kiln.common.block.TestData.CPU;
import static dev.kiln.common.block.TestData.MS;
import static dev.kiln.common.block.TestData.labels;
import static dev.kiln.common.block.TestData.selfByPath;
import static dev.kiln.common.block.TestData.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.common.block.BlockSeries;
import dev.kiln.common.block.BlockWriterConfig;
import dev.kiln.common.block.ParquetBlock;
import dev.kiln.common.block.TestData;
import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.testing.InProcessQueryService;
import dev.kiln.common.tree.CallTree;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.query.v1.LabelsRequest;
import dev.kiln.proto.query.v1.ProfileKeys;
import dev.kiln.proto.query.v1.QueryServiceGrpc;
import dev.kiln.proto.query.v1.RawSeries;
import dev.kiln.proto.query.v1.Selection;
import dev.kiln.proto.query.v1.SeriesSelection;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One query service over three blocks that overlap as three ingesters' uploads of the same hour do
 * (replication factor 3, not every replica got every profile). Listing keys and aggregating with
 * include keys count each profile once, through the real gRPC service over real Parquet blocks.
 */
class BlockQueryServiceTest {
    private static final String TENANT = "team-a";

    @TempDir
    Path tmp;
    private ParquetBlock x;
    private ParquetBlock y;
    private ParquetBlock z;
    private InProcessQueryService service;
    private QueryServiceGrpc.QueryServiceBlockingStub stub;

    /** The profiles, by id: service, time in ms, and root-first stack with its value. */
    private record P(String id, String service, long timeMs, String leaf, long value) {}

    private static final P P1 = new P("p1", "api", 1000, "a", 10);
    private static final P P2 = new P("p2", "api", 2000, "b", 20);
    private static final P P3 = new P("p3", "web", 1500, "a", 300);
    private static final P P4 = new P("p4", "api", 3000, "c", 50_000);

    @BeforeEach
    void start() throws Exception {
        FilesystemObjectStore store = new FilesystemObjectStore(tmp.resolve("store"));
        x = block(store, P1, P2);
        y = block(store, P1, P2, P3);
        z = block(store, P2, P4);
        List<ParquetBlock> all = List.of(x, y, z);
        service = new InProcessQueryService((tenant, range, ids) -> tenant.equals(TENANT)
                ? all.stream().filter(b -> ids.isEmpty() || ids.contains(b.meta().id())).toList()
                : List.of());
        stub = service.stub(TENANT);
    }

    @AfterEach
    void stop() {
        service.close();
    }

    private ParquetBlock block(FilesystemObjectStore store, P... profiles) throws Exception {
        SymbolTable t = new SymbolTable();
        List<BlockSeries> series = new ArrayList<>();
        for (String svc : List.of("api", "web")) {
            TestData.SeriesBuilder b = new TestData.SeriesBuilder(labels(CPU, svc));
            boolean any = false;
            for (P p : profiles) {
                if (p.service.equals(svc)) {
                    b.profile(p.timeMs, p.id, stack(t, "main", p.leaf), p.value);
                    any = true;
                }
            }
            if (any) {
                series.add(b.build());
            }
        }
        return TestData.writeAndOpen(tmp, store, TENANT, series, t.publish(), BlockWriterConfig.DEFAULTS);
    }

    private static Selection selection() {
        return Selection.newBuilder().setProfileTypeId(CPU).build();
    }

    private static Set<List<Long>> keySet(ProfileKeys keys) {
        Set<List<Long>> out = new HashSet<>();
        for (int i = 0; i < keys.getSeriesFingerprintCount(); i++) {
            out.add(List.of(keys.getSeriesFingerprint(i), keys.getTimeNanos(i), keys.getIdHash(i)));
        }
        return out;
    }

    private static Set<List<Long>> keySet(P... profiles) {
        Set<List<Long>> out = new HashSet<>();
        for (P p : profiles) {
            out.add(List.of(labels(CPU, p.service).fingerprint(), p.timeMs * MS, ProfileKeySet.idHash(p.id)));
        }
        return out;
    }

    private static ProfileKeys keysOf(P... profiles) {
        ProfileKeySet set = new ProfileKeySet();
        for (P p : profiles) {
            set.add(labels(CPU, p.service).fingerprint(), p.timeMs * MS, ProfileKeySet.idHash(p.id));
        }
        return set.toProto();
    }

    private Map<String, Long> tree(Selection s) {
        CallTree t = new CallTree();
        t.merge(stub.selectTree(s));
        return selfByPath(t);
    }

    @Test
    void listsTheKeyOfEveryProfileOnceAcrossOverlappingBlocks() {
        ProfileKeys keys = stub.selectProfileKeys(selection());
        assertEquals(4, keys.getSeriesFingerprintCount());
        assertEquals(keySet(P1, P2, P3, P4), keySet(keys));

        // selector and range narrow the keys; span selectors do not (they select samples, not profiles)
        assertEquals(keySet(P3), keySet(stub.selectProfileKeys(selection().toBuilder().setLabelSelector("{service_name=\"web\"}").build())));
        assertEquals(keySet(P1, P3), keySet(stub.selectProfileKeys(selection().toBuilder()
                .setRange(new TimeRange(1000, 1999).toProto()).build())));
        assertEquals(keySet(P1, P2, P3, P4), keySet(stub.selectProfileKeys(selection().toBuilder().addSpanSelector("00000000000000aa").build())));
    }

    @Test
    void includeKeysCountEachProfileOnceAcrossOverlappingBlocks() {
        // without an include set the replicas add up: p1 twice, p2 three times
        assertEquals(Map.of("main;a", 10L + 10 + 300, "main;b", 20L * 3, "main;c", 50_000L), tree(selection()));

        ProfileKeys all = stub.selectProfileKeys(selection());
        Selection deduped = selection().toBuilder().setIncludeKeys(all).build();
        assertEquals(Map.of("main;a", 310L, "main;b", 20L, "main;c", 50_000L), tree(deduped));

        Map<String, RawSeries> byService = new HashMap<>();
        for (RawSeries r : stub.selectSeries(SeriesSelection.newBuilder().setSelection(deduped).setStepMs(1000)
                .addGroupBy("service_name").build()).getSeriesList()) {
            byService.put(r.getLabels(0).getValue(), r);
        }
        assertEquals(Set.of("api", "web"), byService.keySet());
        assertEquals(List.of(1000L, 2000L, 3000L), byService.get("api").getTimestampsList());
        assertEquals(List.of(10.0, 20.0, 50_000.0), byService.get("api").getSumsList());
        assertEquals(List.of(1L, 1L, 1L), byService.get("api").getCountsList());
        assertEquals(List.of(300.0), byService.get("web").getSumsList());

        Profile pprof = stub.selectPprof(deduped);
        assertEquals(50_330L, pprof.getSampleList().stream().mapToLong(s -> s.getValue(0)).sum());
    }

    @Test
    void includeKeysSelectOnlyTheirProfiles() {
        assertEquals(Map.of("main;b", 20L), tree(selection().toBuilder().setIncludeKeys(keysOf(P2)).build()));
        assertEquals(Map.of("main;a", 10L, "main;c", 50_000L), tree(selection().toBuilder().setIncludeKeys(keysOf(P1, P4)).build()));
        // a present but empty include set selects nothing
        assertEquals(Map.of(), tree(selection().toBuilder().setIncludeKeys(ProfileKeys.getDefaultInstance()).build()));
        // the selector still applies: p3 is a web profile
        assertEquals(Map.of(), tree(selection().toBuilder().setLabelSelector("{service_name=\"api\"}")
                .setIncludeKeys(keysOf(P3)).build()));
    }

    @Test
    void blockIdsRestrictTheBlocks() {
        assertEquals(keySet(P1, P2), keySet(stub.selectProfileKeys(selection().toBuilder().addBlockIds(x.meta().id()).build())));
        assertEquals(keySet(P1, P2, P4), keySet(stub.selectProfileKeys(selection().toBuilder()
                .addBlockIds(x.meta().id()).addBlockIds(z.meta().id()).build())));
        assertEquals(Map.of("main;b", 20L, "main;c", 50_000L), tree(selection().toBuilder().addBlockIds(z.meta().id()).build()));

        LabelsRequest values = LabelsRequest.newBuilder().addNames("service_name").build();
        assertEquals(List.of("api", "web"), stub.labelValues(values).getValuesList());
        assertEquals(List.of("api"), stub.labelValues(values.toBuilder().addBlockIds(z.meta().id()).build()).getValuesList());
        assertEquals(1, stub.series(LabelsRequest.newBuilder().addBlockIds(x.meta().id()).build()).getLabelsSetCount());
        assertEquals(List.of(), stub.labelNames(LabelsRequest.newBuilder().addBlockIds("no-such-block").build()).getValuesList());
    }

    @Test
    void rejectsIncludeKeysWithColumnsOfDifferentLengths() {
        ProfileKeys broken = keysOf(P1, P2).toBuilder().addIdHash(7).build();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> stub.selectTree(selection().toBuilder().setIncludeKeys(broken).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertEquals("profile keys: columns differ in length (series_fingerprint 2, time_nanos 2, id_hash 3)", e.getStatus().getDescription());
    }
}
