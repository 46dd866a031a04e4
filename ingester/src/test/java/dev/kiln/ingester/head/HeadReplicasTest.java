package dev.kiln.ingester.head;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static dev.kiln.common.block.TestData.selfByPath;

import dev.kiln.common.limits.Limits;
import dev.kiln.common.model.LabelNames;
import dev.kiln.common.model.Labels;
import dev.kiln.common.model.Ulid;
import dev.kiln.common.query.QueryableBlock;
import dev.kiln.common.testing.InProcessQueryService;
import dev.kiln.common.testing.PprofBuilder;
import dev.kiln.common.tree.CallTree;
import dev.kiln.proto.query.v1.ProfileKeys;
import dev.kiln.proto.query.v1.QueryServiceGrpc;
import dev.kiln.proto.query.v1.Selection;
import dev.kiln.proto.query.v1.SeriesSelection;
import dev.kiln.proto.query.v1.Tree;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two head blocks that both received some of the same pushes (as a head block and a replica's
 * would), served by one query service: with the keys it lists as include keys, every profile is
 * counted once, giving exactly what one head block holding each profile once answers.
 */
class HeadReplicasTest {
    private static final String CPU = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    private static final long T0 = 1_700_000_000_000L;

    private static HeadBlock emptyHead() {
        return new HeadBlock(Ulid.generate(), "anonymous", T0, T0 + 3_600_000, new CumulativeDeltas(System::currentTimeMillis));
    }

    /** Push {@code i}: its own id and time, a service and a stack that vary with {@code i}. */
    private static DecodedProfile push(int i) {
        PprofBuilder p = PprofBuilder.cpu().timeNanos((T0 + 1000L * i) * 1_000_000L);
        p.stack(new long[] {(i + 1) * 10_000_000L}, "main", "f" + (i % 3));
        Labels labels = Labels.of(LabelNames.NAME, "process_cpu", LabelNames.SERVICE_NAME, "svc" + (i % 2));
        return DecodedProfile.decode(labels, p.bytes(), "push-" + i, 0, Map.of(), Limits.DEFAULTS);
    }

    private static QueryServiceGrpc.QueryServiceBlockingStub serve(List<QueryableBlock> blocks, List<InProcessQueryService> open) {
        InProcessQueryService s = new InProcessQueryService((tenant, range, ids) -> blocks);
        open.add(s);
        return s.stub("anonymous");
    }

    private static Map<String, Long> paths(Tree t) {
        CallTree tree = new CallTree();
        tree.merge(t);
        return selfByPath(tree);
    }

    private static long total(dev.kiln.proto.pprof.Profile p) {
        return p.getSampleList().stream().mapToLong(s -> s.getValue(0)).sum();
    }

    @Test
    void includeKeysCountProfilesHeldByBothHeadBlocksOnce() {
        HeadBlock a = emptyHead();
        HeadBlock b = emptyHead();
        HeadBlock once = emptyHead();
        for (int i = 0; i < 12; i++) {
            // pushes 0-7 reached a, 4-11 reached b: 4-7 are in both
            if (i < 8) {
                a.append(push(i));
            }
            if (i >= 4) {
                b.append(push(i));
            }
            once.append(push(i));
        }
        List<InProcessQueryService> open = new ArrayList<>();
        try {
            QueryServiceGrpc.QueryServiceBlockingStub replicas = serve(List.of(a, b), open);
            QueryServiceGrpc.QueryServiceBlockingStub reference = serve(List.of(once), open);
            Selection all = Selection.newBuilder().setProfileTypeId(CPU).build();

            ProfileKeys keys = replicas.selectProfileKeys(all);
            assertEquals(12, keys.getIdHashCount());
            Selection deduped = all.toBuilder().setIncludeKeys(keys).build();
            assertNotEquals(paths(reference.selectTree(all)), paths(replicas.selectTree(all)));
            assertEquals(paths(reference.selectTree(all)), paths(replicas.selectTree(deduped)));

            SeriesSelection series = SeriesSelection.newBuilder().setStepMs(2000).addGroupBy(LabelNames.SERVICE_NAME).build();
            assertEquals(reference.selectSeries(series.toBuilder().setSelection(all).build()),
                    replicas.selectSeries(series.toBuilder().setSelection(deduped).build()));
            assertEquals(total(reference.selectPprof(all)), total(replicas.selectPprof(deduped)));
            assertEquals(780_000_000L, total(replicas.selectPprof(deduped)));
        } finally {
            open.forEach(InProcessQueryService::close);
        }
    }
}
