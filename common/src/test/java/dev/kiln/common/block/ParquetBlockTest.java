package dev.kiln.common.block;

import static dev.kiln.common.block.TestData.ALLOC;
import static dev.kiln.common.block.TestData.CPU;
import static dev.kiln.common.block.TestData.labels;
import static dev.kiln.common.block.TestData.select;
import static dev.kiln.common.block.TestData.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.model.Labels;
import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.query.PprofAccumulator;
import dev.kiln.common.query.SelectionSpec;
import dev.kiln.common.query.SeriesAccumulator;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.selector.Selector;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.tree.CallTree;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.pprof.Sample;
import dev.kiln.proto.query.v1.RawSeries;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Writes a block with known stacks and values, uploads it to a filesystem object store, and checks
 * every query of the opened {@link ParquetBlock} against hand-computed answers. Each test runs with
 * the default row groups (one for everything) and with one profile per row group, which exercises
 * row-group and page pruning.
 */
class ParquetBlockTest {
    private static final long SPAN_A = 0xaL;
    private static final long SPAN_B = 0xbL;

    @TempDir
    Path tmp;
    private FilesystemObjectStore store;

    static Stream<BlockWriterConfig> configs() {
        return Stream.of(BlockWriterConfig.DEFAULTS, new BlockWriterConfig(1024, 1, 3));
    }

    /**
     * cpu/api:   p1 @1000 ms main;a;b=10 main;d=5 · p2 @2000 ms main;a;b=20 (span A) main;a;c=7 (span B)
     * cpu/web:   p3 @1500 ms main;a;c=3 main;d=4
     * alloc/api: p4 @1000 ms main;a;b=100
     */
    private ParquetBlock block(BlockWriterConfig config) throws Exception {
        SymbolTable t = new SymbolTable();
        int b = stack(t, "main", "a", "b");
        int c = stack(t, "main", "a", "c");
        int d = stack(t, "main", "d");
        List<BlockSeries> series = new ArrayList<>();
        // added out of time order: the writer sorts profiles by time
        series.add(new TestData.SeriesBuilder(labels(CPU, "api"))
                .profileWithSpans(2000, "p2", new long[] {SPAN_A, SPAN_B}, b, 20, c, 7)
                .profile(1000, "p1", b, 10, d, 5).build());
        series.add(new TestData.SeriesBuilder(labels(ALLOC, "api")).profile(1000, "p4", b, 100).build());
        series.add(new TestData.SeriesBuilder(labels(CPU, "web")).profile(1500, "p3", c, 3, d, 4).build());
        store = new FilesystemObjectStore(tmp.resolve("store"));
        return TestData.writeAndOpen(tmp, store, "tenant-1", series, t.publish(), config);
    }

    @ParameterizedTest
    @MethodSource("configs")
    void metaDescribesTheBlock(BlockWriterConfig config) throws Exception {
        ParquetBlock block = block(config);
        BlockMeta meta = block.meta();
        assertEquals(new BlockMeta.Stats(3, 4, 7), meta.stats());
        assertEquals(1000, meta.minTimeMs());
        assertEquals(2000, meta.maxTimeMs());
        assertEquals(new BlockMeta.Compaction(1, List.of(meta.id()), List.of()), meta.compaction());
        assertEquals(4, block.profileCount());
        assertEquals(4, meta.file(BlockLayout.PROFILES).numRows());
        assertEquals(config.rowGroupMaxRows() == 1 ? 4 : 1, meta.file(BlockLayout.PROFILES).numRowGroups());
        assertEquals(3, meta.file(BlockLayout.SERIES).numRows());
        // root, main, main;a, main;a;b, main;a;c, main;d
        assertEquals(6, meta.file(BlockLayout.STACKS).numRows());
        assertEquals(8, meta.files().size() + 1);
        for (BlockMeta.FileInfo f : meta.files()) {
            assertEquals(f.sizeBytes(), store.stat("tenant-1/" + meta.id() + "/" + f.relPath()).orElseThrow().size(), f.relPath());
        }
        assertEquals(meta, BlockMeta.fromJson(store.get("tenant-1/" + meta.id() + "/meta.json"), "test"));
    }

    @ParameterizedTest
    @MethodSource("configs")
    void labelLookups(BlockWriterConfig config) throws Exception {
        ParquetBlock block = block(config);
        Set<String> names = new HashSet<>();
        block.labelNames(TimeRange.ALL, List.of(), names);
        assertEquals(Set.of("__name__", "__profile_type__", "service_name"), names);

        Set<String> services = new HashSet<>();
        block.labelValues(TimeRange.ALL, List.of(Selector.parse("{__name__=\"process_cpu\"}")), "service_name", services);
        assertEquals(Set.of("api", "web"), services);

        Set<String> types = new HashSet<>();
        block.labelValues(TimeRange.ALL, List.of(Selector.parse("{service_name=\"api\"}")), "__profile_type__", types);
        assertEquals(Set.of(CPU, ALLOC), types);

        Set<Labels> series = new HashSet<>();
        block.series(TimeRange.ALL, List.of(Selector.parse("{service_name=~\"w.*\"}"), Selector.parse("{__name__=\"memory\"}")),
                List.of("service_name", "__name__"), series);
        assertEquals(Set.of(Labels.of("__name__", "process_cpu", "service_name", "web"),
                Labels.of("__name__", "memory", "service_name", "api")), series);

        Set<String> none = new HashSet<>();
        block.labelNames(new TimeRange(3000, 4000), List.of(), none);
        assertEquals(Set.of(), none);
    }

    @ParameterizedTest
    @MethodSource("configs")
    void mergeTreeSumsPerFunction(BlockWriterConfig config) throws Exception {
        ParquetBlock block = block(config);
        CallTree api = new CallTree();
        block.mergeTree(select(CPU, "{service_name=\"api\"}", TimeRange.ALL), api);
        assertEquals(Map.of("main", 42L, "a", 37L, "b", 30L, "c", 7L, "d", 5L), TestData.totalByFunction(api));
        assertEquals(Map.of("main;a;b", 30L, "main;a;c", 7L, "main;d", 5L), TestData.selfByPath(api));

        CallTree all = new CallTree();
        block.mergeTree(select(CPU, "", TimeRange.ALL), all);
        assertEquals(Map.of("main;a;b", 30L, "main;a;c", 10L, "main;d", 9L), TestData.selfByPath(all));

        CallTree alloc = new CallTree();
        block.mergeTree(select(ALLOC, "{service_name=\"api\"}", TimeRange.ALL), alloc);
        assertEquals(Map.of("main;a;b", 100L), TestData.selfByPath(alloc));
    }

    @ParameterizedTest
    @MethodSource("configs")
    void timeRangeAndSelectorFilter(BlockWriterConfig config) throws Exception {
        ParquetBlock block = block(config);
        CallTree late = new CallTree();
        block.mergeTree(select(CPU, "", new TimeRange(1500, 2500)), late);
        assertEquals(Map.of("main;a;b", 20L, "main;a;c", 10L, "main;d", 4L), TestData.selfByPath(late));

        CallTree early = new CallTree();
        block.mergeTree(select(CPU, "{service_name!=\"web\"}", new TimeRange(0, 1499)), early);
        assertEquals(Map.of("main;a;b", 10L, "main;d", 5L), TestData.selfByPath(early));

        CallTree none = new CallTree();
        block.mergeTree(select(CPU, "{service_name=\"nope\"}", TimeRange.ALL), none);
        block.mergeTree(select(CPU, "", new TimeRange(2001, 9000)), none);
        assertEquals(0, none.total());
    }

    @ParameterizedTest
    @MethodSource("configs")
    void mergeSeriesBucketsTotals(BlockWriterConfig config) throws Exception {
        ParquetBlock block = block(config);
        SeriesAccumulator acc = new SeriesAccumulator(0, 1000, List.of("service_name"));
        block.mergeSeries(select(CPU, "", TimeRange.ALL), acc);
        assertEquals(Map.of(
                "api", Map.of(1000L, List.of(15.0, 1L), 2000L, List.of(27.0, 1L)),
                "web", Map.of(2000L, List.of(7.0, 1L))), points(acc));

        SeriesAccumulator ranged = new SeriesAccumulator(1000, 500, List.of());
        block.mergeSeries(select(CPU, "", new TimeRange(1001, 2000)), ranged);
        assertEquals(Map.of("", Map.of(1500L, List.of(7.0, 1L), 2000L, List.of(27.0, 1L))), points(ranged));
    }

    @ParameterizedTest
    @MethodSource("configs")
    void spanSelectorKeepsSamplesOfTheSpans(BlockWriterConfig config) throws Exception {
        ParquetBlock block = block(config);
        SelectionSpec spanA = select(CPU, "", TimeRange.ALL, new long[] {SPAN_A}, null);
        CallTree tree = new CallTree();
        block.mergeTree(spanA, tree);
        assertEquals(Map.of("main;a;b", 20L), TestData.selfByPath(tree));

        // as in the head, every selected profile counts, with the sum of its matching samples
        SeriesAccumulator acc = new SeriesAccumulator(0, 1000, List.of());
        block.mergeSeries(spanA, acc);
        assertEquals(Map.of("", Map.of(1000L, List.of(0.0, 1L), 2000L, List.of(20.0, 2L))), points(acc));

        CallTree both = new CallTree();
        block.mergeTree(select(CPU, "", TimeRange.ALL, new long[] {SPAN_A, SPAN_B}, null), both);
        assertEquals(Map.of("main;a;b", 20L, "main;a;c", 7L), TestData.selfByPath(both));
    }

    @ParameterizedTest
    @MethodSource("configs")
    void callSiteSelectorKeepsTheSubtree(BlockWriterConfig config) throws Exception {
        ParquetBlock block = block(config);
        SelectionSpec callSite = select(CPU, "{service_name=\"api\"}", TimeRange.ALL, null, new String[] {"main", "a"});
        CallTree tree = new CallTree();
        block.mergeTree(callSite, tree);
        assertEquals(Map.of("main;a;b", 30L, "main;a;c", 7L), TestData.selfByPath(tree));

        SeriesAccumulator acc = new SeriesAccumulator(0, 1000, List.of());
        block.mergeSeries(callSite, acc);
        assertEquals(Map.of("", Map.of(1000L, List.of(10.0, 1L), 2000L, List.of(27.0, 1L))), points(acc));
    }

    @ParameterizedTest
    @MethodSource("configs")
    void mergePprofKeepsSymbols(BlockWriterConfig config) throws Exception {
        ParquetBlock block = block(config);
        PprofAccumulator acc = new PprofAccumulator();
        SelectionSpec spec = select(CPU, "", TimeRange.ALL);
        block.mergePprof(spec, acc);
        Profile p = acc.build(spec.profileType(), 0, 0);
        Map<String, Long> byStack = new HashMap<>();
        for (Sample s : p.getSampleList()) {
            List<String> frames = new ArrayList<>();
            for (long loc : s.getLocationIdList()) {
                long fn = p.getLocation((int) loc - 1).getLine(0).getFunctionId();
                frames.add(0, p.getStringTable((int) p.getFunction((int) fn - 1).getName()));
            }
            byStack.merge(String.join(";", frames), s.getValue(0), Long::sum);
        }
        assertEquals(Map.of("main;a;b", 30L, "main;a;c", 10L, "main;d", 9L), byStack);
        assertTrue(p.getFunctionList().stream().anyMatch(f -> p.getStringTable((int) f.getFilename()).equals("b.go")));
    }

    /** group label values ("" when ungrouped) → timestamp → [sum, count]. */
    private static Map<String, Map<Long, List<Object>>> points(SeriesAccumulator acc) {
        Map<String, Map<Long, List<Object>>> out = new TreeMap<>();
        for (RawSeries s : acc.toProto().getSeriesList()) {
            String group = s.getLabelsCount() == 0 ? "" : s.getLabels(0).getValue();
            Map<Long, List<Object>> pts = new TreeMap<>();
            for (int i = 0; i < s.getTimestampsCount(); i++) {
                pts.put(s.getTimestamps(i), List.of(s.getSums(i), s.getCounts(i)));
            }
            out.put(group, pts);
        }
        return out;
    }
}
