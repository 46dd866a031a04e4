package dev.kiln.ingester;

import com.google.protobuf.ByteString;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.limits.TenantLimits;
import dev.kiln.common.model.ProfileTypeId;
import dev.kiln.common.query.SelectionSpec;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.selector.Selector;
import dev.kiln.common.testing.PprofBuilder;
import dev.kiln.common.tree.CallTree;
import dev.kiln.ingester.head.HeadBlock;
import dev.kiln.ingester.wal.WalConfig;
import dev.kiln.proto.ingester.v1.ProfileSeries;
import dev.kiln.proto.ingester.v1.PushRequest;
import dev.kiln.proto.ingester.v1.RawProfile;
import dev.kiln.proto.types.v1.LabelPair;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;

/** Ingesters on a real data directory and pushes with known totals, for the write-ahead log tests. */
final class WalTestIngesters {
    static final ProfileTypeId CPU = ProfileTypeId.parse("process_cpu:cpu:nanoseconds:cpu:nanoseconds");

    private WalTestIngesters() {}

    /** Stopping it does not flush the head, so a restart must replay the write-ahead log, as after a crash. */
    static Ingester start(Path dataPath, WalConfig wal) {
        Ingester ingester = new Ingester(IngesterConfig.of(dataPath, Duration.ofHours(1), wal).withFlushOnShutdown(false), TenantLimits.fixed(Limits.DEFAULTS.withoutTimeWindow()),
                new dev.kiln.common.objstore.FilesystemObjectStore(dataPath.resolve("storage")), new SimpleMeterRegistry(), Runnable::run,
                dev.kiln.common.memory.QueryMemoryBudget.unlimited());
        ingester.startAsync().awaitRunning();
        return ingester;
    }

    /** One cpu profile of {@code value} ns on a stack that depends on {@code seq}, in a series labelled {@code seq}. */
    static ProfileSeries series(String service, int seq, long timeNanos, long value) {
        byte[] pprof = PprofBuilder.cpu().timeNanos(timeNanos).stack(value, "main", "work" + seq % 7, "leaf" + seq).gzipped();
        return ProfileSeries.newBuilder()
                .addLabels(label("__name__", "process_cpu"))
                .addLabels(label("service_name", service))
                .addLabels(label("seq", String.valueOf(seq)))
                .addProfiles(RawProfile.newBuilder().setPayload(ByteString.copyFrom(pprof)).setId("profile-" + seq))
                .build();
    }

    static PushRequest push(ProfileSeries... series) {
        PushRequest.Builder b = PushRequest.newBuilder();
        for (ProfileSeries s : series) {
            b.addSeries(s);
        }
        return b.build();
    }

    /** The flame graph total of the tenant's head for a label selector (e.g. {@code {seq="3"}}). */
    static long total(Ingester ingester, String tenant, String selector) {
        CallTree tree = new CallTree();
        SelectionSpec spec = new SelectionSpec(TimeRange.ALL, CPU, Selector.parse(selector), null, null);
        for (HeadBlock b : ingester.head().blocks(tenant)) {
            b.mergeTree(spec, tree);
        }
        return tree.total();
    }

    private static LabelPair label(String name, String value) {
        return LabelPair.newBuilder().setName(name).setValue(value).build();
    }
}
