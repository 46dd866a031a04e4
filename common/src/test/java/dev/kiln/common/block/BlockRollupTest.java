package dev.kiln.common.block;

import static dev.kiln.common.block.TestData.ALLOC;
import static dev.kiln.common.block.TestData.CPU;
import static dev.kiln.common.block.TestData.select;
import static dev.kiln.common.block.TestData.selfByPath;
import static dev.kiln.common.block.TestData.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.ErrorCode;
import dev.kiln.common.model.Labels;
import dev.kiln.common.model.ProfileTypeId;
import dev.kiln.common.model.Ulid;
import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.query.PprofAccumulator;
import dev.kiln.common.query.ProfileKeySet;
import dev.kiln.common.query.SelectionSpec;
import dev.kiln.common.query.SeriesAccumulator;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.symbols.Symbols;
import dev.kiln.common.tree.CallTree;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A block written with a rollup answers flame graphs, pprof and time series exactly as the same
 * block read from its raw profiles alone, for any range, selector and call site; a damaged or
 * missing rollup file fails with an error naming it.
 */
class BlockRollupTest {
    static final String HOURS = "rollup/1h.parquet";
    static final String DAYS = "rollup/24h.parquet";
    static final long MINUTE = 60_000L;
    static final long HOUR = 60 * MINUTE;
    static final long DAY = 24 * HOUR;
    /** A UTC midnight; the block holds profiles from 21:00 the day before to 06:00 the day after. */
    static final long D = Instant.parse("2026-03-02T00:00:00Z").toEpochMilli();
    static final long FIRST = D - 3 * HOUR;
    static final long LAST = D + DAY + 6 * HOUR;
    static final List<String> SELECTORS = List.of("{}", "{service_name=\"api\"}", "{pod=\"api-1\"}", "{service_name=~\"d.*\"}");
    static final List<String[]> CALL_SITES = Arrays.asList(null, new String[] {"main", "a"}, new String[] {"main", "a", "b"});

    @TempDir
    Path tmp;
    CountingObjectStore store;
    BlockMeta meta;
    ParquetBlock rolledUp;
    ParquetBlock raw;

    static Labels labels(String type, String service, String pod) {
        ProfileTypeId t = ProfileTypeId.parse(type);
        return Labels.of("__name__", t.name(), "__profile_type__", type, "service_name", service, "pod", pod);
    }

    /** Writes {@code series} as a block with rollup (as the compactor does) and uploads it. */
    BlockMeta writeWithRollup(List<BlockSeries> series, Symbols symbols) throws Exception {
        String id = Ulid.generate();
        Path dir = tmp.resolve(id);
        List<BlockSeries> sorted = new ArrayList<>(series);
        sorted.sort(Comparator.comparing(BlockSeries::labels, BlockLayout.SERIES_ORDER));
        BlockMeta m;
        try (BlockWriter w = new BlockWriter(dir, "t", id, BlockWriterConfig.DEFAULTS, true)) {
            for (BlockSeries s : sorted) {
                w.add(s);
            }
            m = w.finish(symbols, new BlockMeta.Compaction(2, List.of(id), List.of()));
        }
        BlockUploader.upload(store, dir);
        return m;
    }

    /**
     * Four series (three CPU, one allocation) over 33 hours: a profile every 7 minutes give or take
     * a minute, one to four of six stacks each, plus profiles exactly on hour and day boundaries
     * and one millisecond off them; db has no profiles from 05:00 to 09:00 on day D.
     */
    @BeforeEach
    void block() throws Exception {
        store = new CountingObjectStore(new FilesystemObjectStore(tmp.resolve("store")));
        SymbolTable t = new SymbolTable();
        int[] stacks = {stack(t, "main", "a", "b"), stack(t, "main", "a", "c"), stack(t, "main", "d"),
            stack(t, "main", "a", "b", "e"), stack(t, "main", "f", "a", "b"), stack(t, "main")};
        Arrays.sort(stacks);
        Random rnd = new Random(11);
        List<BlockSeries> series = new ArrayList<>();
        for (Labels l : List.of(labels(CPU, "api", "api-0"), labels(CPU, "api", "api-1"), labels(CPU, "db", "db-0"),
                labels(ALLOC, "api", "api-0"))) {
            TestData.SeriesBuilder b = new TestData.SeriesBuilder(l);
            List<Long> times = new ArrayList<>(List.of(D, D + HOUR, D + HOUR + 1, D - 1, D + DAY, D + DAY - 1, FIRST, LAST));
            for (long at = FIRST; at < LAST; at += 7 * MINUTE) {
                times.add(at + rnd.nextInt((int) (2 * MINUTE)) - MINUTE);
            }
            times.removeIf(at -> at < FIRST || at > LAST
                    || (l.get("service_name").equals("db") && at >= D + 5 * HOUR && at < D + 9 * HOUR));
            times.sort(null);
            for (int k = 0; k < times.size(); k++) {
                long[] pairs = new long[2 * stacks.length];
                int n = 0;
                for (int stack : stacks) {
                    if (rnd.nextInt(3) == 0 || (n == 0 && stack == stacks[stacks.length - 1])) {
                        pairs[n++] = stack;
                        pairs[n++] = 1 + rnd.nextInt(1000);
                    }
                }
                b.profile(times.get(k), l.get("pod") + "-" + k, Arrays.copyOf(pairs, n));
            }
            series.add(b.build());
        }
        meta = writeWithRollup(series, t.publish());
        rolledUp = ParquetBlock.open(store, meta);
        raw = ParquetBlock.open(store, meta, false);
    }

    /** Fixed ranges (the block's bounds, aligned hours and days, short ones, boundaries) and random ones. */
    static List<TimeRange> ranges() {
        List<TimeRange> out = new ArrayList<>(List.of(TimeRange.ALL, new TimeRange(FIRST, LAST), new TimeRange(D, D + DAY - 1),
                new TimeRange(D + 1, D + DAY), new TimeRange(D - DAY, D + 2 * DAY), new TimeRange(D - 2 * HOUR + 123, D + 27 * HOUR + 4567),
                new TimeRange(D + 10 * MINUTE, D + 40 * MINUTE), new TimeRange(D + 50 * MINUTE, D + 70 * MINUTE),
                new TimeRange(D, D), new TimeRange(D + HOUR, D + 2 * HOUR), new TimeRange(D + 4 * HOUR + 1, D + 10 * HOUR)));
        Random rnd = new Random(5);
        for (int i = 0; i < 20; i++) {
            long start = FIRST - HOUR + (long) (rnd.nextDouble() * 36 * HOUR);
            out.add(new TimeRange(start, start + (long) (rnd.nextDouble() * 30 * HOUR)));
        }
        return out;
    }

    static CallTree tree(ParquetBlock b, SelectionSpec spec) {
        CallTree t = new CallTree();
        b.mergeTree(spec, t);
        return t;
    }

    @Test
    void flameGraphsEqualTheRawProfiles() {
        long compared = 0;
        for (TimeRange r : ranges()) {
            for (String selector : SELECTORS) {
                for (String[] callSite : CALL_SITES) {
                    SelectionSpec spec = select(CPU, selector, r, null, callSite);
                    CallTree expected = tree(raw, spec);
                    CallTree actual = tree(rolledUp, spec);
                    String what = r + " " + selector + " " + Arrays.toString(callSite);
                    assertEquals(expected.total(), actual.total(), what);
                    assertEquals(selfByPath(expected), selfByPath(actual), what);
                    compared += expected.total();
                }
            }
        }
        assertTrue(compared > 0);
        // the whole block, for the record: every CPU profile
        assertEquals(tree(raw, select(CPU, "{}", TimeRange.ALL)).total(), tree(rolledUp, select(CPU, "{}", new TimeRange(FIRST, LAST))).total());
    }

    @Test
    void aSelectionRestrictedToSomeProfileKeysReadsRawProfiles() {
        // replica deduplication hands a block the keys of the profiles it should count: every other one here
        SelectionSpec all = select(CPU, "{}", TimeRange.ALL);
        ProfileKeySet keys = new ProfileKeySet();
        raw.profileKeys(all, keys);
        ProfileKeySet everyOther = new ProfileKeySet();
        for (int i = 0; i < keys.size(); i += 2) {
            everyOther.add(keys.seriesFingerprint(i), keys.timeNanos(i), keys.idHash(i));
        }
        for (TimeRange r : List.of(TimeRange.ALL, new TimeRange(D, D + DAY - 1), new TimeRange(D - 2 * HOUR + 123, D + 27 * HOUR + 4567))) {
            SelectionSpec spec = select(CPU, "{}", r);
            CallTree expected = tree(raw, spec.including(everyOther));
            CallTree actual = tree(rolledUp, spec.including(everyOther));
            assertEquals(expected.total(), actual.total(), r.toString());
            assertEquals(selfByPath(expected), selfByPath(actual), r.toString());
            assertTrue(actual.total() < tree(rolledUp, spec).total(), r + ": the keys left out are not counted");
        }
        store.takeReads();
        tree(rolledUp, all.including(everyOther));
        assertTrue(filesRead(store.takeReads()).stream().noneMatch(f -> f.startsWith("1h") || f.startsWith("24h")),
                "an include set is answered without the rollup");
    }

    @Test
    void pprofEqualsTheRawProfiles() {
        for (TimeRange r : ranges()) {
            SelectionSpec spec = select(CPU, "{service_name=\"api\"}", r, null, new String[] {"main"});
            PprofAccumulator expected = new PprofAccumulator();
            raw.mergePprof(spec, expected);
            PprofAccumulator actual = new PprofAccumulator();
            rolledUp.mergePprof(spec, actual);
            assertEquals(expected.build(spec.profileType(), 0, 0), actual.build(spec.profileType(), 0, 0), r.toString());
        }
    }

    /** Steps and starts aligned to hours and days use the rollup; the others read raw profiles; all agree. */
    @Test
    void timeSeriesEqualTheRawProfiles() {
        long[][] startAndStep = {{FIRST, HOUR}, {D - DAY, DAY}, {D, 2 * HOUR}, {D + 1, HOUR}, {D + 7 * MINUTE, 15 * MINUTE}, {0, DAY}};
        for (long[] grid : startAndStep) {
            for (TimeRange r : List.of(new TimeRange(grid[0], LAST + DAY), new TimeRange(grid[0], D + 13 * HOUR + 17))) {
                for (List<String> groupBy : List.of(List.<String>of(), List.of("pod"))) {
                    for (String[] callSite : CALL_SITES) {
                        SelectionSpec spec = select(CPU, "{}", r, null, callSite);
                        SeriesAccumulator expected = new SeriesAccumulator(grid[0], grid[1], groupBy);
                        raw.mergeSeries(spec, expected);
                        SeriesAccumulator actual = new SeriesAccumulator(grid[0], grid[1], groupBy);
                        rolledUp.mergeSeries(spec, actual);
                        assertEquals(expected.toProto(), actual.toProto(), Arrays.toString(grid) + " " + r + " " + groupBy);
                        assertTrue(expected.toProto().getSeriesCount() > 0);
                    }
                }
            }
        }
    }

    static List<String> filesRead(List<CountingObjectStore.Read> reads) {
        return reads.stream().map(r -> r.key().substring(r.key().lastIndexOf('/') + 1)).distinct().sorted().toList();
    }

    static long bytesOf(String file, List<CountingObjectStore.Read> reads) {
        return reads.stream().filter(r -> r.key().endsWith("/" + file)).mapToLong(CountingObjectStore.Read::length).sum();
    }

    /**
     * One series with a profile of 40 samples every 10 s for 30 hours: profiles.parquet is larger than
     * the tail a reader keeps in memory when it opens the block, so reads of its pages show.
     */
    @Test
    void wholeWindowsAreReadFromTheRollupAndOnlyTheEdgesFromProfiles() throws Exception {
        SymbolTable t = new SymbolTable();
        int[] stacks = new int[200];
        for (int i = 0; i < stacks.length; i++) {
            stacks[i] = stack(t, "main", "f" + i % 7, "g" + i);
        }
        Arrays.sort(stacks);
        Random rnd = new Random(2);
        TestData.SeriesBuilder b = new TestData.SeriesBuilder(labels(CPU, "api", "api-0"));
        for (long at = FIRST; at < FIRST + 30 * HOUR; at += 10_000) {
            long[] pairs = new long[80];
            int n = 0;
            for (int j = rnd.nextInt(5); j < stacks.length; j += 5) {
                pairs[n++] = stacks[j];
                pairs[n++] = 1 + rnd.nextInt(100_000);
            }
            b.profile(at, "p" + at, pairs);
        }
        BlockMeta m = writeWithRollup(List.of(b.build()), t.publish());
        assertTrue(m.file(BlockLayout.PROFILES).sizeBytes() > 1_000_000, m.file(BlockLayout.PROFILES).toString());
        ParquetBlock block = ParquetBlock.open(store, m);
        ParquetBlock rawBlock = ParquetBlock.open(store, m, false);
        tree(rawBlock, select(CPU, "{}", new TimeRange(D, D)));
        store.takeReads();

        tree(block, select(CPU, "{}", TimeRange.ALL));
        // symbols, then the day rollup's footer and rows; profiles.parquet is not touched
        assertEquals(List.of("24h.parquet", "functions.parquet", "locations.parquet", "mappings.parquet", "stacks.parquet",
                "strings.parquet"), filesRead(store.takeReads()));

        // 20 hours from 00:10: whole hours from the rollup, the first 50 and the last 10 minutes from profiles
        tree(block, select(CPU, "{}", new TimeRange(D + 10 * MINUTE, D + 20 * HOUR + 10 * MINUTE)));
        long withRollup = bytesOf(BlockLayout.PROFILES, store.takeReads());
        tree(rawBlock, select(CPU, "{}", new TimeRange(D + 10 * MINUTE, D + HOUR)));
        tree(rawBlock, select(CPU, "{}", new TimeRange(D + 20 * HOUR + 1, D + 20 * HOUR + 10 * MINUTE)));
        assertEquals(bytesOf(BlockLayout.PROFILES, store.takeReads()), withRollup);
        tree(rawBlock, select(CPU, "{}", new TimeRange(D + 10 * MINUTE, D + 20 * HOUR + 10 * MINUTE)));
        long without = bytesOf(BlockLayout.PROFILES, store.takeReads());
        assertTrue(withRollup * 2 < without, withRollup + " bytes of profiles.parquet read with the rollup, " + without + " without");

        // shorter than an hour, or time series in 15-minute steps: raw profiles only
        tree(block, select(CPU, "{}", new TimeRange(D + 10 * MINUTE, D + 40 * MINUTE)));
        block.mergeSeries(select(CPU, "{}", TimeRange.ALL), new SeriesAccumulator(D, 15 * MINUTE, List.of()));
        assertEquals(List.of(BlockLayout.PROFILES), filesRead(store.takeReads()));

        // span selectors need each sample's span: raw profiles, also over whole windows
        tree(block, select(CPU, "{}", TimeRange.ALL, new long[] {1}, null));
        assertEquals(List.of(BlockLayout.PROFILES), filesRead(store.takeReads()));
    }

    @Test
    void theRollupHasARowPerSeriesAndWindowFromItsFirstToItsLastProfile() throws Exception {
        SymbolTable t = new SymbolTable();
        int ab = stack(t, "main", "a", "b");
        // hours (D, D+1h], (D+3h, D+4h] and two empty ones between; one day (D, D+1d]
        BlockMeta m = writeWithRollup(List.of(new TestData.SeriesBuilder(labels(CPU, "api", "api-0"))
                .profile(D + 10 * MINUTE, "p1", ab, 5).profile(D + 3 * HOUR + 5 * MINUTE, "p2", ab, 7).build()), t.publish());
        assertEquals(List.of(HOUR, DAY), m.rollupWindowsMs());
        assertEquals(4, m.file(HOURS).numRows());
        assertEquals(1, m.file(DAYS).numRows());
        String json = new String(store.get("t/" + m.id() + "/" + BlockLayout.META), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"rollupWindows\" : [ 3600000, 86400000 ]"), json);
        assertTrue(json.contains("\"relPath\" : \"rollup/1h.parquet\"") && json.contains("\"relPath\" : \"rollup/24h.parquet\""), json);

        // the rows as a store-gateway reads them: per window, the count and the sum
        BlockMeta back = BlockMeta.fromJson(store.get("t/" + m.id() + "/" + BlockLayout.META), "t/" + m.id());
        assertEquals(m, back);
        SeriesAccumulator hourly = new SeriesAccumulator(D, HOUR, List.of());
        ParquetBlock.open(store, back).mergeSeries(select(CPU, "{}", TimeRange.ALL), hourly);
        assertEquals(List.of(D + HOUR, D + 4 * HOUR), hourly.toProto().getSeries(0).getTimestampsList());
        assertEquals(List.of(5.0, 7.0), hourly.toProto().getSeries(0).getSumsList());
    }

    /** The rows a rollup read visits, as "first series+count@window end" (ms after D) for non-empty rows. */
    List<String> rowsVisited(boolean[] selected, boolean[] matched, java.util.function.BiPredicate<Integer, Integer> summable) {
        BlockRollup rollup = new BlockRollup(store, meta, rolledUp.seriesIndex());
        RollupPlan plan = RollupPlan.of(new TimeRange(D - 2 * HOUR + 1, D + DAY), meta.minTimeMs(), meta.maxTimeMs(), meta.rollupWindowsMs(), 2);
        List<String> out = new ArrayList<>();
        rollup.read(selected, matched, summable, plan, false, 0,
                r -> out.add(r.series + "+" + r.seriesCount + "@" + (r.windowEndMs - D) / HOUR + "h"));
        return out;
    }

    /**
     * Series in block order: 0 api-0 (allocations), 1 api-0, 2 api-1, 3 db-0 (CPU). From 22:00 the
     * day before to 24:00 of day D: hour windows ending at 23:00 and 00:00, then day D's window.
     */
    @Test
    void aSelectionOfAWholeServiceReadsTheServiceRows() {
        boolean[] api = {false, true, true, false};
        assertEquals(List.of("1+2@-1h", "1+2@0h", "1+2@24h"), rowsVisited(api, api, null));
        // one pod of the service: its own rows
        boolean[] pod1 = {false, false, true, false};
        assertEquals(List.of("2+1@-1h", "2+1@0h", "2+1@24h"), rowsVisited(pod1, pod1, null));
        // every CPU series: api as a whole, db (a service of one series) from its series rows
        boolean[] cpu = {false, true, true, true};
        assertEquals(List.of("1+2@-1h", "1+2@0h", "3+1@-1h", "3+1@0h", "1+2@24h", "3+1@24h"), rowsVisited(cpu, cpu, null));
        // a time series grouped by pod cannot take the two pods summed
        assertEquals(List.of("1+1@-1h", "1+1@0h", "2+1@-1h", "2+1@0h", "1+1@24h", "2+1@24h"),
                rowsVisited(api, api, (a, b) -> a.equals(b)));
    }

    @Test
    void aBlockWithoutRollupAnswersFromItsProfiles() throws Exception {
        SymbolTable t = new SymbolTable();
        int ab = stack(t, "main", "a", "b");
        ParquetBlock plain = TestData.writeAndOpen(tmp, store, "t", List.of(new TestData.SeriesBuilder(labels(CPU, "api", "api-0"))
                .profile(D + 10 * MINUTE, "p1", ab, 5).profile(D + 3 * HOUR + 5 * MINUTE, "p2", ab, 7).build()), t.publish(),
                BlockWriterConfig.DEFAULTS);
        assertFalse(plain.meta().hasRollup());
        assertTrue(plain.meta().files().stream().noneMatch(f -> f.relPath().startsWith("rollup/")));
        String json = new String(store.get("t/" + plain.meta().id() + "/" + BlockLayout.META), StandardCharsets.UTF_8);
        assertFalse(json.contains("rollup"), json);
        store.takeReads();
        assertEquals(12, tree(plain, select(CPU, "{}", TimeRange.ALL)).total());
        assertTrue(store.takeReads().stream().noneMatch(r -> r.key().contains("/rollup/")));
    }

    private void assertCorrupted(String file, String problem, ParquetBlock block, TimeRange range) {
        BlockCorruptedException e = assertThrows(BlockCorruptedException.class, () -> tree(block, select(CPU, "{}", range)));
        assertEquals(file, e.file());
        assertEquals(ErrorCode.DATA_LOSS, e.code());
        assertTrue(e.getMessage().startsWith("block t/" + meta.id() + ": " + file + " " + problem), e.getMessage());
    }

    @Test
    void aMissingRollupFileFailsTheQueriesThatNeedIt() {
        store.delete("t/" + meta.id() + "/" + DAYS);
        ParquetBlock block = ParquetBlock.open(store, meta);
        assertCorrupted(DAYS, "is missing from object storage", block, TimeRange.ALL);
        // 03:00 to 07:00 needs the hour windows only; less than an hour, no rollup at all
        assertTrue(tree(block, select(CPU, "{}", new TimeRange(D + 3 * HOUR + 1, D + 7 * HOUR))).total() > 0);
        store.delete("t/" + meta.id() + "/" + HOURS);
        assertCorrupted(HOURS, "is missing from object storage", ParquetBlock.open(store, meta), new TimeRange(D + 3 * HOUR + 1, D + 7 * HOUR));
        assertTrue(tree(block, select(CPU, "{}", new TimeRange(D + 10 * MINUTE, D + 40 * MINUTE))).total() > 0);
    }

    @Test
    void damagedRollupPagesFailTheQuery() {
        String key = "t/" + meta.id() + "/" + DAYS;
        byte[] b = store.get(key);
        for (int i = 4; i < 200; i++) {
            b[i] ^= 0x5a;
        }
        store.put(key, b);
        assertCorrupted(DAYS, "cannot be read: ", ParquetBlock.open(store, meta), TimeRange.ALL);
        store.put(key, Arrays.copyOf(b, b.length / 2));
        assertCorrupted(DAYS, "cannot be read: ", ParquetBlock.open(store, meta), TimeRange.ALL);
    }

    @Test
    void aRollupThatDoesNotMatchTheSeriesIndexIsRefused() {
        // meta.json claims 2h windows for the day file: it holds other rows than the series index calls for
        String prefix = "t/" + meta.id() + "/";
        store.put(prefix + "rollup/2h.parquet", store.get(prefix + DAYS));
        String json = new String(meta.toJson(), StandardCharsets.UTF_8).replace("86400000", "7200000").replace(DAYS, "rollup/2h.parquet");
        BlockMeta wrong = BlockMeta.fromJson(json.getBytes(StandardCharsets.UTF_8), "t/" + meta.id());
        long rows = meta.file(DAYS).numRows();
        assertCorrupted("rollup/2h.parquet", "has " + rows + " rows (meta.json says " + rows + "), but the series index calls for ",
                ParquetBlock.open(store, wrong), TimeRange.ALL);
    }

    @Test
    void metaJsonMustListTheRollupAndNestItsWindows() {
        String json = new String(meta.toJson(), StandardCharsets.UTF_8);
        String unlisted = json.replace(DAYS, "rollup/other.parquet");
        BlockCorruptedException e = assertThrows(BlockCorruptedException.class,
                () -> BlockMeta.fromJson(unlisted.getBytes(StandardCharsets.UTF_8), "t/x"));
        assertEquals("block t/x: meta.json has rollupWindows [3600000, 86400000] but does not list rollup/24h.parquet", e.getMessage());
        String unnested = json.replace("86400000", "5000000");
        e = assertThrows(BlockCorruptedException.class, () -> BlockMeta.fromJson(unnested.getBytes(StandardCharsets.UTF_8), "t/x"));
        assertEquals("block t/x: meta.json has rollupWindows [3600000, 5000000]; they must be positive and ascending, "
                + "each a multiple of the one before", e.getMessage());
    }
}
