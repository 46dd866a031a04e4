package dev.kiln.common.block;

import static dev.kiln.common.block.TestData.CPU;
import static dev.kiln.common.block.TestData.labels;
import static dev.kiln.common.block.TestData.select;
import static dev.kiln.common.block.TestData.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.query.ProfileKeySet;
import dev.kiln.common.query.SeriesAccumulator;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.tree.CallTree;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a block reads from object storage: little to open, only needed columns and rows per query, symbols once. */
class ParquetBlockIoTest {
    @TempDir
    Path tmp;

    @Test
    void opensLazilyAndReadsOnlyWhatQueriesNeed() throws Exception {
        SymbolTable t = new SymbolTable();
        Random rnd = new Random(3);
        int[] stacks = new int[500];
        for (int i = 0; i < stacks.length; i++) {
            stacks[i] = stack(t, "main", "f" + rnd.nextInt(50), "g" + rnd.nextInt(50), "h" + i);
        }
        List<BlockSeries> series = new ArrayList<>();
        for (int s = 0; s < 20; s++) {
            TestData.SeriesBuilder b = new TestData.SeriesBuilder(labels(CPU, "svc" + s));
            for (int p = 0; p < 400; p++) {
                long[] pairs = new long[2 * 100];
                int first = rnd.nextInt(stacks.length - 100);
                for (int k = 0; k < 100; k++) {
                    pairs[2 * k] = stacks[first + k];
                    pairs[2 * k + 1] = 1 + rnd.nextInt(1_000_000);
                }
                b.profile(1000L * p, "id" + p, pairs);
            }
            series.add(b.build());
        }
        CountingObjectStore store = new CountingObjectStore(new FilesystemObjectStore(tmp.resolve("store")));
        ParquetBlock written = TestData.writeAndOpen(tmp, store, "t", series, t.publish(), new BlockWriterConfig(256 << 10, 100_000, 3));
        String prefix = "t/" + written.meta().id() + "/";
        long profilesSize = written.meta().file(BlockLayout.PROFILES).sizeBytes();
        assertTrue(profilesSize > 1 << 20, "profiles.parquet must be well above the footer read-ahead: " + profilesSize);
        store.takeReads();

        ParquetBlock block = ParquetBlock.open(store, "t", written.meta().id());
        List<CountingObjectStore.Read> open = store.takeReads();
        assertEquals(List.of(prefix + "meta.json", prefix + "series.parquet", prefix + "profiles.parquet"),
                open.stream().map(CountingObjectStore.Read::key).toList());
        assertTrue(open.get(2).length() <= 256 << 10, "one ranged read of the footer: " + open.get(2));

        // one series' totals: a few ranged reads of profiles.parquet, a small part of it
        SeriesAccumulator acc = new SeriesAccumulator(0, 60_000, List.of());
        block.mergeSeries(select(CPU, "{service_name=\"svc7\"}", TimeRange.ALL), acc);
        assertEquals(400, acc.toProto().getSeries(0).getCountsList().stream().mapToLong(Long::longValue).sum());
        List<CountingObjectStore.Read> totals = store.takeReads();
        assertEquals(Set.of(prefix + "profiles.parquet"), keys(totals));
        long fetched = totals.stream().mapToLong(CountingObjectStore.Read::length).sum();
        assertTrue(fetched < profilesSize / 20, "read " + fetched + " of " + profilesSize + " bytes for one series' totals");

        // every profile's key: the id and time columns only, no samples and no symbols
        ProfileKeySet keys = new ProfileKeySet();
        block.profileKeys(select(CPU, "", TimeRange.ALL), keys);
        assertEquals(20 * 400, keys.size());
        List<CountingObjectStore.Read> keyReads = store.takeReads();
        assertEquals(Set.of(prefix + "profiles.parquet"), keys(keyReads));
        long keyBytes = keyReads.stream().mapToLong(CountingObjectStore.Read::length).sum();
        assertTrue(keyBytes < profilesSize / 20, "read " + keyBytes + " of " + profilesSize + " bytes for all profiles' keys");

        // a flame graph loads the symbol tables once
        block.mergeTree(select(CPU, "{service_name=\"svc7\"}", TimeRange.ALL), new CallTree());
        assertEquals(Set.of(prefix + "profiles.parquet", prefix + "symbols/strings.parquet", prefix + "symbols/mappings.parquet",
                prefix + "symbols/functions.parquet", prefix + "symbols/locations.parquet", prefix + "symbols/stacks.parquet"),
                keys(store.takeReads()));
        block.mergeTree(select(CPU, "{service_name=\"svc8\"}", TimeRange.ALL), new CallTree());
        assertEquals(Set.of(prefix + "profiles.parquet"), keys(store.takeReads()));

        // a selector matching nothing, or a range outside the block, reads nothing
        block.mergeTree(select(CPU, "{service_name=\"nope\"}", TimeRange.ALL), new CallTree());
        block.mergeSeries(select(CPU, "", new TimeRange(1_000_000, 2_000_000)), acc);
        assertEquals(List.of(), store.takeReads());
    }

    private static Set<String> keys(List<CountingObjectStore.Read> reads) {
        return reads.stream().map(CountingObjectStore.Read::key).collect(Collectors.toSet());
    }
}
