package dev.kiln.common.block;

import static dev.kiln.common.block.TestData.ALLOC;
import static dev.kiln.common.block.TestData.CPU;
import static dev.kiln.common.block.TestData.labels;
import static dev.kiln.common.block.TestData.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.common.KilnException;
import dev.kiln.common.model.Labels;
import dev.kiln.common.model.Ulid;
import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.symbols.Symbols;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockWriterTest {
    @TempDir
    Path tmp;

    @Test
    void ordersSeriesByProfileTypeThenServiceThenLabels() throws Exception {
        SymbolTable t = new SymbolTable();
        int s = stack(t, "main");
        List<BlockSeries> series = List.of(
                new TestData.SeriesBuilder(labels(CPU, "zeta").toBuilder().set("pod", "a").build()).profile(1, "1", s, 1).build(),
                new TestData.SeriesBuilder(labels(CPU, "alpha").toBuilder().set("pod", "b").build()).profile(1, "2", s, 1).build(),
                new TestData.SeriesBuilder(labels(ALLOC, "zeta")).profile(1, "3", s, 1).build(),
                new TestData.SeriesBuilder(labels(CPU, "alpha").toBuilder().set("pod", "a").build()).profile(1, "4", s, 1).build());
        ParquetBlock block = TestData.writeAndOpen(tmp, new FilesystemObjectStore(tmp.resolve("store")), "t", series,
                t.publish(), BlockWriterConfig.DEFAULTS);
        // plain label order would sort by pod (before service_name) and interleave the services
        assertEquals(List.of("memory/zeta/", "process_cpu/alpha/a", "process_cpu/alpha/b", "process_cpu/zeta/a"),
                Arrays.stream(block.seriesIndex().labels)
                        .map(l -> l.get("__name__") + "/" + l.get("service_name") + "/" + l.getOrEmpty("pod")).toList());
        assertEquals(List.of(0L, 1L, 2L, 3L), Arrays.stream(block.seriesIndex().firstRow).boxed().toList());
    }

    @Test
    void rejectsSeriesOutOfOrderOrTwice() throws Exception {
        try (BlockWriter w = new BlockWriter(tmp, "t", Ulid.generate(), BlockWriterConfig.DEFAULTS)) {
            w.startSeries(labels(CPU, "b"));
            w.endSeries();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.startSeries(labels(CPU, "a")));
            assertEquals("series must be added once each, in block order: " + labels(CPU, "a") + " came after "
                    + labels(CPU, "b"), e.getMessage());
        }
    }

    @Test
    void rejectsProfilesOutOfTimeOrderWithinASeries() throws Exception {
        try (BlockWriter w = new BlockWriter(tmp, "t", Ulid.generate(), BlockWriterConfig.DEFAULTS)) {
            w.startSeries(labels(CPU, "a"));
            w.addProfile(2000, "x", 1, new int[] {1}, new long[] {1}, null, 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> w.addProfile(1000, "y", 1, new int[] {1}, new long[] {1}, null, 1));
            assertEquals("series " + labels(CPU, "a") + ": profile y at 1000 ns comes after x at 2000 ns; profiles must be in time order",
                    e.getMessage());
        }
    }

    @Test
    void rejectsInconsistentSeries() {
        Symbols symbols = new SymbolTable().publish();
        BlockSeries bad = new BlockSeries(labels(CPU, "a"), 1, new long[] {1}, new String[] {"p"}, new int[][] {{1, 2}},
                new long[][] {{1}}, new long[][] {null}, new long[] {1});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BlockWriter.write(tmp, "t", Ulid.generate(), List.of(bad), symbols, BlockWriterConfig.DEFAULTS));
        assertEquals("series " + labels(CPU, "a") + ", profile 0: id, stacks, values and spans must be present and of equal length",
                e.getMessage());
    }

    @Test
    void rejectsStackIdsOutsideTheSymbols() {
        SymbolTable t = new SymbolTable();
        int s = stack(t, "main");
        List<BlockSeries> series = List.of(new TestData.SeriesBuilder(labels(CPU, "a")).profile(1, "p", s + 5, 1).build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BlockWriter.write(tmp, "t", Ulid.generate(), series, t.publish(), BlockWriterConfig.DEFAULTS));
        assertEquals("stack id " + (s + 5) + " is outside the symbol table (" + (s + 1) + " stack nodes)", e.getMessage());
    }

    @Test
    void rejectsEmptyBlocksBadTenantsAndBadIds() {
        String id = Ulid.generate();
        Symbols symbols = new SymbolTable().publish();
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> BlockWriter.write(tmp, "t", id,
                List.of(new BlockSeries(Labels.of("a", "b"), 0, new long[0], new String[0], new int[0][], new long[0][], null, new long[0])),
                symbols, BlockWriterConfig.DEFAULTS));
        assertEquals("block t/" + id + " has no profiles", empty.getMessage());
        KilnException tenant = assertThrows(KilnException.class,
                () -> new BlockWriter(tmp, "a/b", id, BlockWriterConfig.DEFAULTS));
        assertEquals("invalid tenant id 'a/b': character '/' is not allowed (use letters, digits and !-_.*'())", tenant.getMessage());
        IllegalArgumentException ulid = assertThrows(IllegalArgumentException.class,
                () -> new BlockWriter(tmp, "t", "block-1", BlockWriterConfig.DEFAULTS));
        assertEquals("block id 'block-1' is not a ULID", ulid.getMessage());
    }

    @Test
    void configRejectsNonsense() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BlockWriterConfig(1 << 20, 10, 0));
        assertEquals("pyroscopedb.compression_level must be between 1 and 22, got 0", e.getMessage());
    }
}
