package dev.kiln.ingester;

import static dev.kiln.ingester.WalTestIngesters.push;
import static dev.kiln.ingester.WalTestIngesters.series;
import static dev.kiln.ingester.WalTestIngesters.start;
import static dev.kiln.ingester.WalTestIngesters.total;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kiln.common.InvalidInputException;
import dev.kiln.common.KilnException;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.query.SelectionSpec;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.selector.Selector;
import dev.kiln.common.tree.CallTree;
import dev.kiln.ingester.head.HeadBlock;
import dev.kiln.ingester.wal.FsyncPolicy;
import dev.kiln.ingester.wal.WalConfig;
import dev.kiln.proto.ingester.v1.ProfileSeries;
import dev.kiln.proto.ingester.v1.RawProfile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalIngesterTest {
    private static final long HOUR_NS = 3_600_000_000_000L;

    @TempDir
    Path data;

    @Test
    void restartReplaysEveryPushIntoTheSameHeadBlocks() {
        long now = System.currentTimeMillis() * 1_000_000L;
        Ingester first = start(data, WalConfig.DEFAULTS);
        for (int seq = 0; seq < 30; seq++) {
            String tenant = seq % 2 == 0 ? "tenant-a" : "tenant-b";
            // Two series per push, in different hourly windows, so one push spans two head blocks.
            first.push(tenant, push(series("api", seq, now - (seq % 3) * HOUR_NS, 1000 + seq),
                    series("db", 100 + seq, now - ((seq + 1) % 3) * HOUR_NS, 7)));
        }
        Map<String, String> before = describe(first);
        first.stopAsync().awaitTerminated();

        Ingester second = start(data, WalConfig.DEFAULTS);
        assertEquals(before, describe(second));
        assertEquals(3, second.head().blocks("tenant-a").size());
        for (int seq = 0; seq < 30; seq++) {
            String tenant = seq % 2 == 0 ? "tenant-a" : "tenant-b";
            assertEquals(1000 + seq, total(second, tenant, "{seq=\"" + seq + "\"}"));
        }
        assertEquals(15 * 7, total(second, "tenant-a", "{service_name=\"db\"}"));
        second.stopAsync().awaitTerminated();
    }

    @Test
    void aPushWithOneBadProfileIsRejectedBeforeAnythingIsLogged() {
        long now = System.currentTimeMillis() * 1_000_000L;
        Ingester first = start(data, WalConfig.DEFAULTS);
        ProfileSeries bad = series("api", 2, now, 5).toBuilder()
                .setProfiles(0, RawProfile.newBuilder().setPayload(ByteString.copyFromUtf8("not a pprof")).setId("bad"))
                .build();
        assertThrows(InvalidInputException.class, () -> first.push("t", push(series("api", 1, now, 5), bad)));
        assertEquals(List.of(), first.head().blocks("t"));
        first.stopAsync().awaitTerminated();

        Ingester second = start(data, WalConfig.DEFAULTS);
        assertEquals(List.of(), second.head().blocks("t"));
        second.stopAsync().awaitTerminated();
    }

    @Test
    void aProfileWithoutTimestampReplaysAtTheTimeItWasStoredAt() throws Exception {
        Ingester first = start(data, WalConfig.DEFAULTS);
        // No time in the pprof and no default time: the ingester stamps it with its clock.
        first.push("t", push(series("api", 1, 0, 42)));
        long stored = first.head().blocks("t").getFirst().snapshot().getFirst().timeNanos()[0];
        first.stopAsync().awaitTerminated();
        Thread.sleep(5); // the clock moves on before the replay

        Ingester second = start(data, WalConfig.DEFAULTS);
        assertEquals(stored, second.head().blocks("t").getFirst().snapshot().getFirst().timeNanos()[0]);
        second.stopAsync().awaitTerminated();
    }

    @Test
    void aDetachedAndFlushedBlockIsNotReplayedWhileLaterPushesOfItsWindowAre() throws Exception {
        long now = System.currentTimeMillis() * 1_000_000L;
        Ingester first = start(data, WalConfig.DEFAULTS);
        first.push("t", push(series("api", 1, now, 10)));
        HeadBlock flushed = first.head().blocks("t").getFirst();
        first.detach(flushed);
        first.push("t", push(series("api", 2, now, 20)));
        HeadBlock open = first.head().blocks("t").getFirst();
        assertNotEquals(flushed.id(), open.id());
        first.blockFlushed(flushed);
        first.stopAsync().awaitTerminated();

        Ingester second = start(data, WalConfig.DEFAULTS);
        List<HeadBlock> blocks = second.head().blocks("t");
        assertEquals(List.of(open.id()), blocks.stream().map(HeadBlock::id).toList());
        assertEquals(1, blocks.getFirst().profileCount());
        assertEquals(20, total(second, "t", "{}"));
        second.stopAsync().awaitTerminated();
    }

    @Test
    void pushesBeforeStartAreRefused() {
        Ingester ingester = new Ingester(IngesterConfig.of(data, Duration.ofHours(1), WalConfig.DEFAULTS).withFlushOnShutdown(false), t -> Limits.DEFAULTS.withoutTimeWindow(),
                new dev.kiln.common.objstore.FilesystemObjectStore(data.resolve("storage")), new SimpleMeterRegistry(), Runnable::run,
                dev.kiln.common.memory.QueryMemoryBudget.unlimited());
        KilnException e = assertThrows(KilnException.class,
                () -> ingester.push("t", push(series("api", 1, 0, 1))));
        assertEquals("ingester is not running", e.getMessage());
        assertTrue(Files.notExists(data.resolve("wal")));
    }

    @Test
    void walSettingsComeFromPyroscopedbKeys() {
        assertEquals(IngesterConfig.of(Path.of("./data"), Duration.ofHours(1), WalConfig.DEFAULTS),
                IngesterConfig.from(IngesterConfig.defaults(Map.of())));
        IngesterConfig c = IngesterConfig.from(IngesterConfig.defaults(Map.of(
                "pyroscopedb.data_path", "/var/lib/kiln",
                "pyroscopedb.wal.segment_size", 16L << 20,
                "pyroscopedb.wal.fsync", "interval",
                "pyroscopedb.wal.fsync_interval", Duration.ofMillis(250))));
        assertEquals(new WalConfig(16L << 20, FsyncPolicy.INTERVAL, Duration.ofMillis(250)), c.wal());
        assertEquals(Path.of("/var/lib/kiln/wal"), c.walDir());
    }

    /** Every head block of every tenant with its counts and flame graph total, for comparing heads. */
    private static Map<String, String> describe(Ingester ingester) {
        Map<String, String> out = new TreeMap<>();
        for (String tenant : new TreeSet<>(ingester.head().tenants())) {
            for (HeadBlock b : ingester.head().blocks(tenant)) {
                CallTree tree = new CallTree();
                b.mergeTree(new SelectionSpec(TimeRange.ALL, WalTestIngesters.CPU,
                        Selector.ALL, null, null), tree);
                List<String> series = new ArrayList<>();
                b.snapshot().forEach(s -> series.add(s.labels() + "x" + s.count()));
                series.sort(null);
                out.put(tenant + "/" + b.id(), "window=" + b.windowStartMs() + " profiles=" + b.profileCount() + " samples=" + b.sampleCount()
                        + " min=" + b.minTimeMs() + " max=" + b.maxTimeMs() + " total=" + tree.total() + " series=" + series);
            }
        }
        return out;
    }
}
