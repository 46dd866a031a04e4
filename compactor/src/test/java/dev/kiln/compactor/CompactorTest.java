package dev.kiln.compactor;

import static dev.kiln.common.block.TestData.CPU;
import static dev.kiln.common.block.TestData.labels;
import static dev.kiln.common.block.TestData.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.common.block.BlockMeta;
import dev.kiln.common.block.BlockWriter;
import dev.kiln.common.block.BlockWriterConfig;
import dev.kiln.common.block.BucketIndex;
import dev.kiln.common.block.ParquetBlock;
import dev.kiln.common.block.TestData;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.limits.RuntimeOverrides;
import dev.kiln.common.limits.TenantLimits;
import dev.kiln.common.model.Ulid;
import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.objstore.ObjectStore;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.tree.CallTree;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompactorTest {
    /** A UTC midnight: the start of a 24h, a 4h and a 1h range. */
    static final long T0 = Instant.parse("2025-03-03T00:00:00Z").toEpochMilli();
    static final long HOUR = Duration.ofHours(1).toMillis();
    static final long MINUTE = Duration.ofMinutes(1).toMillis();
    static final long DELAY = Duration.ofHours(12).toMillis();

    @TempDir
    Path tmp;
    ObjectStore store;
    CompactorConfig config;

    @BeforeEach
    void setUp() {
        store = new FilesystemObjectStore(tmp.resolve("bucket"));
        config = CompactorConfig.defaults(tmp.resolve("data"));
    }

    private Compactor compactor(SimpleMeterRegistry registry) {
        return compactor(store, registry, TenantLimits.fixed(Limits.DEFAULTS));
    }

    private Compactor compactor(ObjectStore s, SimpleMeterRegistry registry, TenantLimits limits) {
        return new Compactor(config, s, limits, registry);
    }

    /**
     * Uploads a level-1 block of what an ingester holds for {@code hour} (hours after T0): one
     * profile of service api (main;a;b = 10 × (hour + 1)) and one of web (main;c = hour + 1).
     * Stacks are interned in a different order in odd hours, as independent ingesters would.
     */
    String hourBlock(String tenant, int hour) throws Exception {
        SymbolTable symbols = new SymbolTable();
        int ab;
        int c;
        if (hour % 2 == 0) {
            ab = stack(symbols, "main", "a", "b");
            c = stack(symbols, "main", "c");
        } else {
            c = stack(symbols, "main", "c");
            ab = stack(symbols, "main", "a", "b");
        }
        long start = T0 + hour * HOUR;
        return TestData.writeAndOpen(tmp, store, tenant, List.of(
                new TestData.SeriesBuilder(labels(CPU, "api")).profile(start + 10 * MINUTE, "api-" + hour, ab, 10L * (hour + 1)).build(),
                new TestData.SeriesBuilder(labels(CPU, "web")).profile(start + 20 * MINUTE, "web-" + hour, c, hour + 1).build()),
                symbols.publish(), BlockWriterConfig.DEFAULTS).meta().id();
    }

    BucketIndex index(String tenant) {
        return BucketIndex.read(store, tenant).orElseThrow();
    }

    static Set<String> ids(List<BlockMeta> blocks) {
        return blocks.stream().map(BlockMeta::id).collect(Collectors.toCollection(TreeSet::new));
    }

    static Set<String> markedIds(BucketIndex index) {
        return index.deletionMarks().stream().map(BucketIndex.DeletionMark::id).collect(Collectors.toCollection(TreeSet::new));
    }

    /** What a reader of the bucket index gets: the flame graph over every queryable block. */
    Map<String, Long> queryTotals(String tenant) {
        CallTree tree = new CallTree();
        for (BlockMeta b : index(tenant).queryableBlocks()) {
            ParquetBlock.open(store, b).mergeTree(TestData.select(CPU, "", TimeRange.ALL), tree);
        }
        return TestData.selfByPath(tree);
    }

    Set<String> blockDirs(String tenant) {
        return new TreeSet<>(store.listPrefixes(tenant + "/"));
    }

    static double count(SimpleMeterRegistry r, String name, String... tags) {
        return r.get(name).tags(tags).counter().count();
    }

    /**
     * Two replicas' blocks of hour 0 and blocks of hours 1 and 2: the replicas are merged first
     * (their hour has ended), then the 4h range, into one level-3 block holding each profile once.
     */
    @Test
    void mergesTheBlocksOfAFourHourRangeIntoOneWithReplicaProfilesCountedOnce() throws Exception {
        String replicaA = hourBlock("t", 0);
        String replicaB = hourBlock("t", 0);
        String hour1 = hourBlock("t", 1);
        String hour2 = hourBlock("t", 2);
        Set<String> inputs = Set.of(replicaA, replicaB, hour1, hour2);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Compactor compactor = compactor(registry);

        // Hour 0 has ended, but not its wait period: the index lists the blocks, nothing is merged.
        compactor.runOnce(T0 + HOUR + 10 * MINUTE);
        assertEquals(inputs, ids(index("t").queryableBlocks()));
        assertEquals(0, count(registry, "pyroscope.compactor.compactions"));

        long now = T0 + 4 * HOUR + 15 * MINUTE;
        compactor.runOnce(now);
        assertEquals(2, count(registry, "pyroscope.compactor.compactions"));
        assertEquals(5, count(registry, "pyroscope.compactor.blocks.marked.for.deletion", "reason", "compaction"));
        BucketIndex index = index("t");
        assertEquals(now, index.updatedAtMs());
        List<BlockMeta> queryable = index.queryableBlocks();
        assertEquals(1, queryable.size());
        BlockMeta merged = queryable.get(0);
        assertEquals(3, merged.compaction().level());
        assertEquals(new TreeSet<>(inputs), new TreeSet<>(merged.compaction().sources()));
        assertEquals(new BlockMeta.Stats(2, 6, 6), merged.stats());
        assertEquals(T0 + 10 * MINUTE, merged.minTimeMs());
        assertEquals(T0 + 2 * HOUR + 20 * MINUTE, merged.maxTimeMs());

        // The hour-0 merge: a level-2 block of the two replicas, itself replaced by the 4h merge.
        List<String> parents = new ArrayList<>(merged.compaction().parents());
        assertEquals(3, parents.size());
        assertTrue(parents.removeAll(List.of(hour1, hour2)));
        BlockMeta hour0 = index.blocks().stream().filter(b -> b.id().equals(parents.get(0))).findFirst().orElseThrow();
        assertEquals(new BlockMeta.Compaction(2, List.copyOf(new TreeSet<>(List.of(replicaA, replicaB))),
                List.of(replicaA, replicaB).stream().sorted().toList()), hour0.compaction());
        assertEquals(new BlockMeta.Stats(2, 2, 2), hour0.stats());

        // The index lists the replaced blocks too, marked at this run, until their files are deleted.
        Set<String> replaced = new TreeSet<>(inputs);
        replaced.add(hour0.id());
        Set<String> all = new TreeSet<>(replaced);
        all.add(merged.id());
        assertEquals(all, ids(index.blocks()));
        assertEquals(replaced, markedIds(index));
        index.deletionMarks().forEach(m -> assertEquals(now, m.deletionTimeMs()));
        for (String id : replaced) {
            JsonNode mark = new ObjectMapper().readTree(store.get("t/" + id + "/deletion-mark.json"));
            assertEquals(id, mark.get("id").asText());
            assertEquals(now / 1000, mark.get("deletion_time").asLong());
        }

        // hour 0 once: api 10 + 20 + 30, web 1 + 2 + 3
        assertEquals(Map.of("main;a;b", 60L, "main;c", 6L), queryTotals("t"));

        // Both merges wrote a rollup: per series, hours (T0, T0+1h] to (T0+2h, T0+3h] and the day (T0, T0+24h].
        for (BlockMeta b : List.of(merged, hour0)) {
            assertEquals(List.of(HOUR, 24 * HOUR), b.rollupWindowsMs());
            for (String file : List.of("rollup/1h.parquet", "rollup/24h.parquet")) {
                assertEquals(b.file(file).sizeBytes(), store.get("t/" + b.id() + "/" + file).length);
            }
        }
        assertEquals(2 * 3, merged.file("rollup/1h.parquet").numRows());
        assertEquals(2, merged.file("rollup/24h.parquet").numRows());
        assertEquals(2, hour0.file("rollup/1h.parquet").numRows());
        assertEquals(2, hour0.file("rollup/24h.parquet").numRows());
        // the query above read the rollup; raw profiles agree
        CallTree raw = new CallTree();
        ParquetBlock.open(store, merged, false).mergeTree(TestData.select(CPU, "", TimeRange.ALL), raw);
        assertEquals(Map.of("main;a;b", 60L, "main;c", 6L), TestData.selfByPath(raw));
    }

    @Test
    void fourBlocksOfAFourHourRangeBecomeOneLevelTwoBlock() throws Exception {
        Set<String> inputs = Set.of(hourBlock("t", 0), hourBlock("t", 1), hourBlock("t", 2), hourBlock("t", 3));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        compactor(registry).runOnce(T0 + 4 * HOUR + 15 * MINUTE);
        BlockMeta merged = index("t").queryableBlocks().get(0);
        assertEquals(1, index("t").queryableBlocks().size());
        assertEquals(2, merged.compaction().level());
        assertEquals(inputs, Set.copyOf(merged.compaction().parents()));
        assertEquals(inputs, markedIds(index("t")));
        assertEquals(1, count(registry, "pyroscope.compactor.compactions"));
        assertEquals(Map.of("main;a;b", 100L, "main;c", 10L), queryTotals("t"));
    }

    @Test
    void metricsKeepPyroscopesNames() throws Exception {
        hourBlock("t", 0);
        hourBlock("t", 1);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new Compactor(config, store, TenantLimits.fixed(Limits.DEFAULTS), registry).runOnce(T0 + 4 * HOUR + 15 * MINUTE);
        String text = registry.scrape();
        assertTrue(text.contains("\npyroscope_compactor_compactions_total 1.0\n"), text);
        assertTrue(text.contains("\npyroscope_compactor_blocks_marked_for_deletion_total{reason=\"compaction\"} 2.0\n"), text);
        assertTrue(text.contains("\npyroscope_compactor_blocks_cleaned_total 0.0\n"), text);
        assertTrue(text.contains("\npyroscope_compactor_compaction_duration_seconds_count 1\n"), text);
        assertTrue(text.contains("\npyroscope_compactor_compactions_failed_total 0.0\n"), text);
        assertTrue(text.contains("\npyroscope_compactor_last_successful_run_timestamp_seconds "), text);
        long inputBytes = index("t").blocks().stream().filter(b -> b.compaction().level() == 1)
                .mapToLong(b -> b.files().stream().mapToLong(BlockMeta.FileInfo::sizeBytes).sum()).sum();
        assertTrue(text.contains("\npyroscope_compactor_compaction_input_bytes_total " + (double) inputBytes + "\n"), text);
    }

    @Test
    void deletesReplacedBlocksOnceTheDeletionDelayHasPassed() throws Exception {
        Set<String> inputs = Set.of(hourBlock("t", 0), hourBlock("t", 1));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Compactor compactor = compactor(registry);
        long compactedAt = T0 + 4 * HOUR + 15 * MINUTE;
        compactor.runOnce(compactedAt);
        String merged = index("t").queryableBlocks().get(0).id();

        compactor.runOnce(compactedAt + DELAY - 1);
        Set<String> all = new TreeSet<>(inputs);
        all.add(merged);
        assertEquals(all, blockDirs("t"));
        assertEquals(0, count(registry, "pyroscope.compactor.blocks.cleaned"));

        compactor.runOnce(compactedAt + DELAY);
        assertEquals(Set.of(merged), blockDirs("t"));
        assertEquals(List.of(), store.list("t/" + inputs.iterator().next() + "/"));
        assertEquals(Set.of(merged), ids(index("t").blocks()));
        assertEquals(List.of(), index("t").deletionMarks());
        assertEquals(2, count(registry, "pyroscope.compactor.blocks.cleaned"));
        assertEquals(Map.of("main;a;b", 30L, "main;c", 3L), queryTotals("t"));
    }

    @Test
    void retentionMarksAndDeletesOldBlocksPerTenant() throws Exception {
        Path overrides = tmp.resolve("overrides.yaml");
        Files.writeString(overrides, "overrides:\n  short:\n    compactor_blocks_retention_period: 2d\n");
        RuntimeOverrides limits = new RuntimeOverrides(Limits.DEFAULTS, overrides, Duration.ofSeconds(10));
        String shortOld = hourBlock("short", 0);
        String shortNew = hourBlock("short", 72);
        String keptOld = hourBlock("forever", 0);
        String keptNew = hourBlock("forever", 72);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Compactor compactor = compactor(store, registry, limits);

        // The old blocks end at T0 + 20m; 2 days later the "short" tenant's one is expired.
        long now = T0 + 48 * HOUR + 21 * MINUTE;
        compactor.runOnce(now);
        assertEquals(Set.of(shortOld), markedIds(index("short")));
        assertEquals(Set.of(shortNew), ids(index("short").queryableBlocks()));
        assertEquals(Set.of(keptOld, keptNew), ids(index("forever").queryableBlocks()));
        assertEquals(1, count(registry, "pyroscope.compactor.blocks.marked.for.deletion", "reason", "retention"));
        assertEquals(Map.of("main;a;b", 730L, "main;c", 73L), queryTotals("short"));

        compactor.runOnce(now + DELAY);
        assertEquals(Set.of(shortNew), blockDirs("short"));
        assertEquals(Set.of(keptOld, keptNew), blockDirs("forever"));
        assertEquals(Set.of(shortNew), ids(index("short").blocks()));
    }

    @Test
    void theFirstScheduledRunAppliesRetention() throws Exception {
        Path overrides = tmp.resolve("overrides.yaml");
        Files.writeString(overrides, "overrides:\n  short:\n    compactor_blocks_retention_period: 1d\n");
        String old = hourBlock("short", 0);
        compactor(store, new SimpleMeterRegistry(), new RuntimeOverrides(Limits.DEFAULTS, overrides, Duration.ofSeconds(10)))
                .runOneIteration();
        assertEquals(Set.of(old), markedIds(index("short")));
    }

    @Test
    void leavesIncompleteBlocksAloneAndMergesThemOnceComplete() throws Exception {
        String a = hourBlock("t", 0);
        String b = hourBlock("t", 1);
        // An upload in progress: every file but meta.json, which goes last.
        String late = Ulid.generate();
        Path dir = tmp.resolve("late");
        SymbolTable symbols = new SymbolTable();
        int d = stack(symbols, "main", "d");
        BlockWriter.write(dir, "t", late, List.of(new TestData.SeriesBuilder(labels(CPU, "api"))
                .profile(T0 + 3 * HOUR, "api-late", d, 5).build()), symbols.publish(), BlockWriterConfig.DEFAULTS);
        List<String> files = new ArrayList<>();
        try (var paths = Files.walk(dir)) {
            paths.filter(Files::isRegularFile).filter(p -> !p.endsWith("meta.json"))
                    .forEach(p -> files.add(dir.relativize(p).toString()));
        }
        for (String f : files) {
            store.upload("t/" + late + "/" + f, dir.resolve(f));
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Compactor compactor = compactor(registry);

        long now = T0 + 4 * HOUR + 15 * MINUTE;
        compactor.runOnce(now);
        compactor.runOnce(now + DELAY);
        String merged = index("t").queryableBlocks().get(0).id();
        assertEquals(Set.of(merged), ids(index("t").blocks()));
        assertEquals(new TreeSet<>(files), store.list("t/" + late + "/").stream()
                .map(k -> k.substring(("t/" + late + "/").length())).collect(Collectors.toCollection(TreeSet::new)));
        assertEquals(Set.of(merged, late), blockDirs("t"));

        // Its meta.json arrives: it is in the merged block's range, so the two are merged.
        store.put("t/" + late + "/meta.json", Files.readAllBytes(dir.resolve("meta.json")));
        compactor.runOnce(now + DELAY + MINUTE);
        BlockMeta last = index("t").queryableBlocks().get(0);
        assertEquals(1, index("t").queryableBlocks().size());
        assertEquals(3, last.compaction().level());
        assertEquals(new TreeSet<>(List.of(a, b, late)), new TreeSet<>(last.compaction().sources()));
        assertEquals(Map.of("main;a;b", 30L, "main;c", 3L, "main;d", 5L), queryTotals("t"));
    }

    /**
     * A crash after the merged block is uploaded, before the index lists it (failing the first
     * write after the upload: a deletion mark, or with marks written, the index). Readers keep
     * the inputs; a restarted compactor adopts the merged block instead of merging again.
     */
    @Test
    void aCrashBetweenUploadAndIndexWriteConvergesWithoutCountingTwice() throws Exception {
        for (String failing : List.of(DeletionMarkFile.NAME, BucketIndex.FILE)) {
            String tenant = "crash-" + failing.substring(0, 5);
            Set<String> inputs = Set.of(hourBlock(tenant, 0), hourBlock(tenant, 1), hourBlock(tenant, 2));
            Map<String, Long> union = Map.of("main;a;b", 60L, "main;c", 6L);
            compactor(new SimpleMeterRegistry()).runOnce(T0 + HOUR + 10 * MINUTE);

            long now = T0 + 4 * HOUR + 15 * MINUTE;
            SimpleMeterRegistry crashed = new SimpleMeterRegistry();
            compactor(new FailingWrites(store, failing), crashed, TenantLimits.fixed(Limits.DEFAULTS)).runOnce(now);
            assertEquals(1, count(crashed, "pyroscope.compactor.compactions.failed"));
            Set<String> dirs = blockDirs(tenant);
            assertEquals(4, dirs.size());
            assertEquals(inputs, ids(index(tenant).queryableBlocks()));
            assertEquals(union, queryTotals(tenant));

            SimpleMeterRegistry restarted = new SimpleMeterRegistry();
            compactor(restarted).runOnce(now + MINUTE);
            assertEquals(0, count(restarted, "pyroscope.compactor.compactions"));
            assertEquals(3, count(restarted, "pyroscope.compactor.blocks.marked.for.deletion", "reason", "compaction"));
            assertEquals(dirs, blockDirs(tenant));
            BucketIndex index = index(tenant);
            assertEquals(1, index.queryableBlocks().size());
            assertEquals(inputs, markedIds(index));
            assertEquals(union, queryTotals(tenant));
            // Marks written before the crash keep their time, so the deletion is not postponed.
            long expectedMarkTime = failing.equals(BucketIndex.FILE) ? now : now + MINUTE;
            index.deletionMarks().forEach(m -> assertEquals(expectedMarkTime, m.deletionTimeMs()));
        }
    }

    @Test
    void startingEmptiesTheScratchDirectory() throws Exception {
        Path leftover = tmp.resolve("data").resolve("merging").resolve(Ulid.generate()).resolve("profiles.parquet");
        Files.createDirectories(leftover.getParent());
        Files.writeString(leftover, "half-written");
        Compactor compactor = compactor(new SimpleMeterRegistry());
        compactor.startAsync().awaitRunning();
        compactor.stopAsync().awaitTerminated();
        assertFalse(Files.exists(leftover.getParent()));
        assertTrue(Files.isDirectory(tmp.resolve("data")));
    }

    @Test
    void blockDirectoriesAreFoundWithoutAnIndex() throws Exception {
        // A tenant directory holding something else than blocks gets no index.
        store.put("stray/notes.txt", new byte[] {1});
        String a = hourBlock("t", 5);
        compactor(new SimpleMeterRegistry()).runOnce(T0 + 6 * HOUR);
        assertEquals(Set.of(a), ids(index("t").queryableBlocks()));
        assertTrue(BucketIndex.read(store, "stray").isEmpty());
        assertEquals(Set.of(a), blockDirs("t"));
    }
}
