package dev.kiln.common.block;

import static dev.kiln.common.block.TestData.CPU;
import static dev.kiln.common.block.TestData.labels;
import static dev.kiln.common.block.TestData.select;
import static dev.kiln.common.block.TestData.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.common.model.Ulid;
import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.query.SeriesAccumulator;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.tree.CallTree;
import dev.kiln.proto.query.v1.RawSeries;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockMergerTest {
    private static final long SPAN_A = 0xaL;

    @TempDir
    Path tmp;
    private FilesystemObjectStore store;
    private ParquetBlock a;
    private ParquetBlock b;

    /**
     * Block a — cpu/api: p1 @1000 b=10 d=5, p2 @2000 b=20 (span A) c=7; cpu/web: p3 @1500 c=3 d=4.
     * Block b (stacks interned in another order) — cpu/api: p2 again, p5 @3000 x=9; cpu/db: p6 @2500 d=1.
     */
    @BeforeEach
    void blocks() throws Exception {
        store = new FilesystemObjectStore(tmp.resolve("store"));
        SymbolTable ta = new SymbolTable();
        int b1 = stack(ta, "main", "a", "b");
        int c1 = stack(ta, "main", "a", "c");
        int d1 = stack(ta, "main", "d");
        a = TestData.writeAndOpen(tmp, store, "t", List.of(
                new TestData.SeriesBuilder(labels(CPU, "api")).profile(1000, "p1", b1, 10, d1, 5)
                        .profileWithSpans(2000, "p2", new long[] {SPAN_A, 0}, b1, 20, c1, 7).build(),
                new TestData.SeriesBuilder(labels(CPU, "web")).profile(1500, "p3", c1, 3, d1, 4).build()),
                ta.publish(), BlockWriterConfig.DEFAULTS);

        SymbolTable tb = new SymbolTable();
        int d2 = stack(tb, "main", "d");
        int x2 = stack(tb, "main", "x");
        int c2 = stack(tb, "main", "a", "c");
        int b2 = stack(tb, "main", "a", "b");
        b = TestData.writeAndOpen(tmp, store, "t", List.of(
                new TestData.SeriesBuilder(labels(CPU, "api"))
                        .profileWithSpans(2000, "p2", new long[] {0, SPAN_A}, c2, 7, b2, 20)
                        .profile(3000, "p5", x2, 9).build(),
                new TestData.SeriesBuilder(labels(CPU, "db")).profile(2500, "p6", d2, 1).build()),
                tb.publish(), BlockWriterConfig.DEFAULTS);
    }

    private ParquetBlock merge(List<ParquetBlock> inputs) throws Exception {
        String id = Ulid.generate();
        Path dir = tmp.resolve("merged-" + id);
        BlockMerger.merge(inputs, dir, id, BlockWriterConfig.DEFAULTS, true);
        BlockUploader.upload(store, dir);
        return ParquetBlock.open(store, "t", id);
    }

    @Test
    void unionsSeriesAndKeepsADuplicatedProfileOnce() throws Exception {
        ParquetBlock m = merge(List.of(a, b));
        assertEquals(new BlockMeta.Stats(3, 5, 8), m.meta().stats());
        assertEquals(1000, m.meta().minTimeMs());
        assertEquals(3000, m.meta().maxTimeMs());
        assertEquals(new BlockMeta.Compaction(2, List.copyOf(new TreeSet<>(List.of(a.meta().id(), b.meta().id()))),
                List.of(a.meta().id(), b.meta().id())), m.meta().compaction());
        // root, main, main;a, main;a;b, main;a;c, main;d, main;x: re-interned, nothing unused
        assertEquals(7, m.meta().file(BlockLayout.STACKS).numRows());

        CallTree api = new CallTree();
        m.mergeTree(select(CPU, "{service_name=\"api\"}", TimeRange.ALL), api);
        assertEquals(Map.of("main;a;b", 30L, "main;a;c", 7L, "main;d", 5L, "main;x", 9L), TestData.selfByPath(api));

        CallTree all = new CallTree();
        m.mergeTree(select(CPU, "", TimeRange.ALL), all);
        assertEquals(Map.of("main;a;b", 30L, "main;a;c", 10L, "main;d", 10L, "main;x", 9L), TestData.selfByPath(all));

        SeriesAccumulator acc = new SeriesAccumulator(0, 1000, List.of());
        m.mergeSeries(select(CPU, "{service_name=\"api\"}", TimeRange.ALL), acc);
        RawSeries points = acc.toProto().getSeries(0);
        assertEquals(List.of(1000L, 2000L, 3000L), points.getTimestampsList());
        assertEquals(List.of(15.0, 27.0, 9.0), points.getSumsList());
        assertEquals(List.of(1L, 1L, 1L), points.getCountsList());
    }

    @Test
    void keepsSpanIds() throws Exception {
        ParquetBlock m = merge(List.of(b, a));
        CallTree tree = new CallTree();
        m.mergeTree(select(CPU, "", TimeRange.ALL, new long[] {SPAN_A}, null), tree);
        assertEquals(Map.of("main;a;b", 20L), TestData.selfByPath(tree));
    }

    @Test
    void mergingMergedBlocksRaisesTheLevelAndKeepsSources() throws Exception {
        ParquetBlock ab = merge(List.of(a, b));
        SymbolTable t = new SymbolTable();
        int d = stack(t, "main", "d");
        ParquetBlock c = TestData.writeAndOpen(tmp, store, "t",
                List.of(new TestData.SeriesBuilder(labels(CPU, "web")).profile(1500, "p3", d, 4).profile(4000, "p7", d, 2).build()),
                t.publish(), BlockWriterConfig.DEFAULTS);
        ParquetBlock abc = merge(List.of(ab, c));
        assertEquals(3, abc.meta().compaction().level());
        assertEquals(List.copyOf(new TreeSet<>(List.of(a.meta().id(), b.meta().id(), c.meta().id()))),
                abc.meta().compaction().sources());
        assertEquals(List.of(ab.meta().id(), c.meta().id()), abc.meta().compaction().parents());
        // p3 is in both ab and c (same series, time and id): kept once
        assertEquals(new BlockMeta.Stats(3, 6, 9), abc.meta().stats());
        CallTree web = new CallTree();
        abc.mergeTree(select(CPU, "{service_name=\"web\"}", TimeRange.ALL), web);
        assertEquals(Map.of("main;a;c", 3L, "main;d", 6L), TestData.selfByPath(web));
    }

    @Test
    void dropsDuplicatesWithinOneBlockButKeepsSameTimeWithOtherIds() throws Exception {
        SymbolTable t = new SymbolTable();
        int d = stack(t, "main", "d");
        List<BlockSeries> series = new ArrayList<>();
        series.add(new TestData.SeriesBuilder(labels(CPU, "api"))
                .profile(1000, "same", d, 1).profile(1000, "same", d, 1).profile(1000, "other", d, 5).build());
        ParquetBlock dup = TestData.writeAndOpen(tmp, store, "t", series, t.publish(), BlockWriterConfig.DEFAULTS);
        assertEquals(3, dup.profileCount());
        ParquetBlock m = merge(List.of(dup));
        assertEquals(new BlockMeta.Stats(1, 2, 2), m.meta().stats());
        CallTree tree = new CallTree();
        m.mergeTree(select(CPU, "", TimeRange.ALL), tree);
        assertEquals(Map.of("main;d", 6L), TestData.selfByPath(tree));
    }

    @Test
    void refusesMixedTenantsAndEmptyInput() throws Exception {
        SymbolTable t = new SymbolTable();
        int d = stack(t, "main", "d");
        ParquetBlock other = TestData.writeAndOpen(tmp, store, "other",
                List.of(new TestData.SeriesBuilder(labels(CPU, "api")).profile(1000, "p", d, 1).build()),
                t.publish(), BlockWriterConfig.DEFAULTS);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> merge(List.of(a, other)));
        assertEquals("cannot merge blocks of different tenants: t and other (block " + other.meta().id() + ")", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> merge(List.of()));
    }
}
