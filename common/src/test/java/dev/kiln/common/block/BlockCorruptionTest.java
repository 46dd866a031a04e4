package dev.kiln.common.block;

import static dev.kiln.common.block.TestData.CPU;
import static dev.kiln.common.block.TestData.labels;
import static dev.kiln.common.block.TestData.select;
import static dev.kiln.common.block.TestData.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.ErrorCode;
import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.query.SeriesAccumulator;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.tree.CallTree;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged block files fail with a {@link BlockCorruptedException} that names the block and the file. */
class BlockCorruptionTest {
    @TempDir
    Path tmp;
    private FilesystemObjectStore store;
    private BlockMeta meta;
    private String prefix;

    @BeforeEach
    void block() throws Exception {
        store = new FilesystemObjectStore(tmp.resolve("store"));
        SymbolTable t = new SymbolTable();
        int b = stack(t, "main", "a", "b");
        TestData.SeriesBuilder s = new TestData.SeriesBuilder(labels(CPU, "api"));
        for (int i = 0; i < 200; i++) {
            s.profile(1000 + i, "p" + i, b, i + 1);
        }
        meta = TestData.writeAndOpen(tmp, store, "t", List.of(s.build()), t.publish(), BlockWriterConfig.DEFAULTS).meta();
        prefix = "t/" + meta.id() + "/";
    }

    private void truncate(String relPath) {
        byte[] b = store.get(prefix + relPath);
        store.put(prefix + relPath, Arrays.copyOf(b, b.length / 2));
    }

    private BlockCorruptedException assertCorrupted(String file, String problem, org.junit.jupiter.api.function.Executable query) {
        BlockCorruptedException e = assertThrows(BlockCorruptedException.class, query);
        assertEquals("t/" + meta.id(), e.block());
        assertEquals(file, e.file());
        assertEquals(ErrorCode.DATA_LOSS, e.code());
        assertTrue(e.getMessage().startsWith("block t/" + meta.id() + ": " + file + " " + problem), e.getMessage());
        return e;
    }

    @Test
    void truncatedProfilesFailOnOpen() {
        truncate(BlockLayout.PROFILES);
        assertCorrupted(BlockLayout.PROFILES, "cannot be read: ", () -> ParquetBlock.open(store, "t", meta.id()));
    }

    @Test
    void truncatedSeriesIndexFailsOnOpen() {
        truncate(BlockLayout.SERIES);
        long size = meta.file(BlockLayout.SERIES).sizeBytes();
        assertCorrupted(BlockLayout.SERIES, "is " + size / 2 + " bytes, meta.json says " + size,
                () -> ParquetBlock.open(store, "t", meta.id()));
    }

    @Test
    void damagedProfilePagesFailTheQuery() {
        byte[] b = store.get(prefix + BlockLayout.PROFILES);
        // overwrite the start of the first column chunk (series_index), keeping the footer intact
        for (int i = 4; i < 64; i++) {
            b[i] = (byte) 0x55;
        }
        store.put(prefix + BlockLayout.PROFILES, b);
        ParquetBlock block = ParquetBlock.open(store, "t", meta.id());
        assertCorrupted(BlockLayout.PROFILES, "cannot be read: ",
                () -> block.mergeSeries(select(CPU, "", TimeRange.ALL), new SeriesAccumulator(0, 1000, List.of())));
    }

    @Test
    void flippedBitInPageDataFailsThePageChecksum() throws Exception {
        byte[] b = store.get(prefix + BlockLayout.PROFILES);
        ParquetFiles.Footer footer = ParquetFiles.readFooter("profiles", b.length, (off, len) -> Arrays.copyOfRange(b, (int) off, (int) off + len));
        var totals = footer.metadata().getBlocks().get(0).getColumns().stream()
                .filter(c -> c.getPath().toDotString().equals("total_value")).findFirst().orElseThrow();
        int last = (int) (totals.getStartingPos() + totals.getTotalSize() - 1);
        b[last] ^= 1;
        store.put(prefix + BlockLayout.PROFILES, b);
        ParquetBlock block = ParquetBlock.open(store, "t", meta.id());
        BlockCorruptedException e = assertCorrupted(BlockLayout.PROFILES, "cannot be read: ",
                () -> block.mergeSeries(select(CPU, "", TimeRange.ALL), new SeriesAccumulator(0, 1000, List.of())));
        assertTrue(e.getMessage().contains("CRC checksum verification failed"), e.getMessage());
    }

    @Test
    void missingSymbolFileFailsTheFirstFlameGraph() {
        store.delete(prefix + BlockLayout.STACKS);
        ParquetBlock block = ParquetBlock.open(store, "t", meta.id());
        assertCorrupted(BlockLayout.STACKS, "is missing from object storage",
                () -> block.mergeTree(select(CPU, "", TimeRange.ALL), new CallTree()));
    }

    @Test
    void truncatedSymbolFileIsReported() {
        truncate(BlockLayout.STRINGS);
        ParquetBlock block = ParquetBlock.open(store, "t", meta.id());
        long size = meta.file(BlockLayout.STRINGS).sizeBytes();
        assertCorrupted(BlockLayout.STRINGS, "is " + size / 2 + " bytes, meta.json says " + size,
                () -> block.mergeTree(select(CPU, "", TimeRange.ALL), new CallTree()));
    }

    @Test
    void invalidMetaJson() {
        store.put(prefix + BlockLayout.META, "{\"ulid\": 42".getBytes(StandardCharsets.UTF_8));
        assertCorrupted(BlockLayout.META, "is not valid: ", () -> ParquetBlock.open(store, "t", meta.id()));
        store.put(prefix + BlockLayout.META, new String(meta.toJson(), StandardCharsets.UTF_8)
                .replace("\"version\" : 1", "\"version\" : 7").getBytes(StandardCharsets.UTF_8));
        assertCorrupted(BlockLayout.META, "has format version 7; this Kiln reads versions 1 to 1",
                () -> ParquetBlock.open(store, "t", meta.id()));
    }

    @Test
    void uploadRefusesALocalFileOfTheWrongSize() throws Exception {
        Path dir = tmp.resolve("local-" + meta.id());
        Files.write(dir.resolve(BlockLayout.STACKS), new byte[] {1, 2, 3});
        assertCorrupted(BlockLayout.STACKS, "is 3 bytes on local disk, but meta.json says "
                + meta.file(BlockLayout.STACKS).sizeBytes(), () -> BlockUploader.upload(store, dir));
    }
}
