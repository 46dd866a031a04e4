package dev.kiln.common.block;

import dev.kiln.common.block.ProfileCursor.Column;
import dev.kiln.common.model.Labels;
import dev.kiln.common.objstore.ObjectStore;
import dev.kiln.common.query.CallSiteMask;
import dev.kiln.common.query.PprofAccumulator;
import dev.kiln.common.query.ProfileKeySet;
import dev.kiln.common.query.QueryableBlock;
import dev.kiln.common.query.SelectionSpec;
import dev.kiln.common.query.SeriesAccumulator;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.selector.Selector;
import dev.kiln.common.symbols.Symbols;
import dev.kiln.common.tree.CallTree;
import dev.kiln.common.tree.StackResolver;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * A block in object storage, answering the same queries as an ingester head. Opening reads
 * meta.json, the series index and the footer of profiles.parquet (with its page indexes), nothing
 * else; each query then fetches only the pages of the columns it needs, for the series and time
 * range it selects. Symbols are loaded on first use and kept while memory allows (a soft
 * reference), since every flame-graph query of the block needs all of them.
 *
 * <p>A block the compactor wrote carries a rollup ({@link BlockRollup}): per series and per service,
 * its profiles summed per hour and per day. Flame graphs and pprof read whole windows inside the query range
 * from it, and raw profiles only for the less-than-an-hour stretches left at the range's edges
 * ({@link RollupPlan}); time series do so when their buckets hold whole windows. The answer is the
 * same as from raw profiles alone.
 *
 * <p>Thread-safe: the loaded index and footer are immutable and each query reads through its own
 * Parquet reader. Damaged files raise {@link BlockCorruptedException} naming the block and file.
 */
public final class ParquetBlock implements QueryableBlock {
    private final ObjectStore store;
    private final BlockMeta meta;
    private final String name;
    private final String prefix;
    private final BlockSeriesIndex series;
    private final ParquetFiles.Footer profiles;
    /** Null when the block has no rollup or the reader was told not to use it. */
    private final BlockRollup rollup;
    private final BlockCache.Slot<Symbols> symbols = new BlockCache.Slot<>();
    private final BlockCache.Slot<StackResolver.Resolved> resolved = new BlockCache.Slot<>();

    private ParquetBlock(ObjectStore store, BlockMeta meta, boolean useRollup) {
        this.store = store;
        this.meta = meta;
        this.name = meta.tenant() + "/" + meta.id();
        this.prefix = BlockUploader.prefix(meta.tenant(), meta.id());
        this.series = BlockFileErrors.guard(name, BlockLayout.SERIES, () ->
                BlockSeriesIndex.read(wholeFile(BlockLayout.SERIES), meta.stats().numSeries()));
        BlockMeta.FileInfo info = meta.file(BlockLayout.PROFILES);
        String key = prefix + BlockLayout.PROFILES;
        this.profiles = BlockFileErrors.guard(name, BlockLayout.PROFILES, () -> ParquetFiles.readFooter(
                key, info.sizeBytes(), (offset, length) -> store.getRange(key, offset, length)));
        this.rollup = useRollup && meta.hasRollup() ? new BlockRollup(store, meta, series) : null;
    }

    /** Opens {@code <tenant>/<blockId>/} by reading its meta.json first. */
    public static ParquetBlock open(ObjectStore store, String tenant, String blockId) {
        String block = tenant + "/" + blockId;
        byte[] json = BlockFileErrors.guard(block, BlockLayout.META,
                () -> store.get(BlockUploader.prefix(tenant, blockId) + BlockLayout.META));
        return open(store, BlockMeta.fromJson(json, block));
    }

    /** Opens a block whose meta is already known (from a listing or a bucket index); queries use its rollup if it has one. */
    public static ParquetBlock open(ObjectStore store, BlockMeta meta) {
        return open(store, meta, true);
    }

    /**
     * Opens a block whose meta is already known; with {@code useRollup} false every query reads raw
     * profiles, as for a block without rollup.
     */
    public static ParquetBlock open(ObjectStore store, BlockMeta meta, boolean useRollup) {
        return new ParquetBlock(store, meta, useRollup);
    }

    public BlockMeta meta() {
        return meta;
    }

    /** A whole (small) file of the block, checked against the size meta.json records. */
    private BlockInputFile wholeFile(String relPath) {
        byte[] bytes = store.get(prefix + relPath);
        long expected = meta.file(relPath).sizeBytes();
        if (bytes.length != expected) {
            throw new BlockCorruptedException(name, relPath, "is " + bytes.length + " bytes, meta.json says " + expected);
        }
        return BlockInputFile.inMemory(prefix + relPath, bytes);
    }

    /** The block's symbols, loaded on first use and kept in the {@link BlockCache} (loaded again once evicted). */
    Symbols symbols() {
        return symbols.get(() -> BlockSymbolsReader.read(name, this::wholeFile), Symbols::estimatedBytes);
    }

    /**
     * Loads the symbols and resolves the stack tree now, so that the first flame graph over this
     * block does not pay for them: for a block just written, whose queries are about to move to it.
     */
    public void warm() {
        resolved(symbols());
    }

    /** The block's stack tree resolved into names, built on first use and kept in the {@link BlockCache} like the symbols. */
    private StackResolver.Resolved resolved(Symbols s) {
        return resolved.get(() -> StackResolver.resolveAll(s), StackResolver.Resolved::estimatedBytes);
    }

    BlockSeriesIndex seriesIndex() {
        return series;
    }

    /** Opens a cursor over the profiles of {@code selected} series (null: all) in {@code range}. */
    ProfileCursor cursor(boolean[] selected, TimeRange range, Set<Column> columns) {
        return cursor(selected, range, columns, null);
    }

    private ProfileCursor cursor(boolean[] selected, TimeRange range, Set<Column> columns, ProfileCursor.RowFilter filter) {
        return BlockFileErrors.guard(name, BlockLayout.PROFILES,
                () -> new ProfileCursor(profiles, series, selected, range, columns, filter));
    }

    /**
     * A cursor over a selection's profiles in {@code range} (the selection's, or a part of it); with
     * an include set, only over those it claims, which costs reading the id column but skips the
     * samples of every profile not claimed here.
     */
    private ProfileCursor cursor(boolean[] selected, SelectionSpec spec, TimeRange range, Set<Column> columns) {
        if (spec.include() == null) {
            return cursor(selected, range, columns);
        }
        EnumSet<Column> withId = EnumSet.copyOf(columns);
        withId.add(Column.ID);
        return cursor(selected, range, withId, (s, timeNanos, id) -> spec.claim(series.labels[s].fingerprint(), timeNanos, id));
    }

    /** Advances a cursor, reporting a damaged profiles file as such. */
    boolean next(ProfileCursor cursor) {
        return BlockFileErrors.guard(name, BlockLayout.PROFILES, cursor::next);
    }

    void close(ProfileCursor cursor) {
        BlockFileErrors.guard(name, BlockLayout.PROFILES, () -> {
            cursor.close();
            return null;
        });
    }

    @Override
    public long minTimeMs() {
        return meta.minTimeMs();
    }

    @Override
    public long maxTimeMs() {
        return meta.maxTimeMs();
    }

    @Override
    public long profileCount() {
        return meta.stats().numProfiles();
    }

    private boolean outside(TimeRange range) {
        return profileCount() == 0 || !range.overlaps(minTimeMs(), maxTimeMs());
    }

    @Override
    public void labelNames(TimeRange range, List<Selector> selectors, Set<String> out) {
        if (outside(range)) {
            return;
        }
        for (int i : series.selectAny(selectors)) {
            Labels l = series.labels[i];
            for (int k = 0; k < l.size(); k++) {
                out.add(l.name(k));
            }
        }
    }

    @Override
    public void labelValues(TimeRange range, List<Selector> selectors, String label, Set<String> out) {
        if (outside(range)) {
            return;
        }
        for (int i : series.selectAny(selectors)) {
            String v = series.labels[i].get(label);
            if (v != null) {
                out.add(v);
            }
        }
    }

    @Override
    public void series(TimeRange range, List<Selector> selectors, List<String> names, Set<Labels> out) {
        if (outside(range)) {
            return;
        }
        for (int i : series.selectAny(selectors)) {
            out.add(names.isEmpty() ? series.labels[i] : series.labels[i].keepOnly(names));
        }
    }

    /**
     * Per series index, whether the selector matches it and it has profiles in the range; null
     * when no series qualifies (or the block is outside the range, or the include set is empty),
     * so that the query reads nothing.
     */
    private boolean[] selected(SelectionSpec spec) {
        if (outside(spec.range()) || spec.selectsNothing()) {
            return null;
        }
        boolean[] sel = new boolean[series.size()];
        boolean any = false;
        for (int i : series.select(spec.selector())) {
            long minMs = Math.floorDiv(series.minNanos[i], 1_000_000L);
            long maxMs = Math.floorDiv(series.maxNanos[i], 1_000_000L);
            if (spec.range().overlaps(minMs, maxMs)) {
                sel[i] = true;
                any = true;
            }
        }
        return any ? sel : null;
    }

    private static Set<Column> sampleColumns(SelectionSpec spec) {
        return spec.spanIds() == null ? EnumSet.of(Column.SAMPLES) : EnumSet.of(Column.SAMPLES, Column.SPANS);
    }

    /**
     * How to answer {@code spec} from the rollup using its first {@code levels} window lengths, or
     * null to read raw profiles only (no rollup, a selection it cannot answer, or a range too short).
     */
    private RollupPlan rollupPlan(SelectionSpec spec, int levels) {
        if (rollup == null || !BlockRollup.canAnswer(spec)) {
            return null;
        }
        return RollupPlan.of(spec.range(), minTimeMs(), maxTimeMs(), rollup.windowsMs(), levels);
    }

    /** Per series index, whether the selector matches it, whatever its time span. */
    private boolean[] matched(SelectionSpec spec) {
        boolean[] matched = new boolean[series.size()];
        for (int i : series.select(spec.selector())) {
            matched[i] = true;
        }
        return matched;
    }

    /** The ranges to read raw profiles for: the plan's, or the whole query range without a plan. */
    private static List<TimeRange> rawRanges(SelectionSpec spec, RollupPlan plan) {
        return plan == null ? List.of(spec.range()) : plan.raw();
    }

    /** Sums the samples of the selected series per stack id. */
    private long[] aggregate(SelectionSpec spec, boolean[] sel, Symbols symbols) {
        long[] values = new long[symbols.stackNodeCount];
        boolean[] mask = spec.callSite() == null ? null : CallSiteMask.compute(symbols, spec.callSite());
        RollupPlan plan = rollupPlan(spec, rollup == null ? 0 : rollup.windowsMs().size());
        if (plan != null) {
            rollup.read(sel, matched(spec), null, plan, true, symbols.stackNodeCount,
                    r -> spec.addSamples(r.stacks.values, r.values.values, r.stacks.size, null, mask, values));
        }
        for (TimeRange range : rawRanges(spec, plan)) {
            ProfileCursor c = cursor(sel, spec, range, sampleColumns(spec));
            try {
                while (next(c)) {
                    spec.addSamples(c.stacks.values, c.values.values, c.stacks.size, c.hasSpans ? c.spans.values : null,
                            mask, values);
                }
            } finally {
                close(c);
            }
        }
        return values;
    }

    @Override
    public void mergeTree(SelectionSpec spec, CallTree out) {
        boolean[] sel = selected(spec);
        if (sel == null) {
            return;
        }
        Symbols s = symbols();
        StackResolver.resolve(resolved(s), aggregate(spec, sel, s), out);
    }

    @Override
    public void mergePprof(SelectionSpec spec, PprofAccumulator out) {
        boolean[] sel = selected(spec);
        if (sel == null) {
            return;
        }
        Symbols s = symbols();
        out.add(s, aggregate(spec, sel, s));
    }

    @Override
    public void mergeSeries(SelectionSpec spec, SeriesAccumulator out) {
        boolean[] sel = selected(spec);
        if (sel == null) {
            return;
        }
        boolean filtered = spec.spanIds() != null || spec.callSite() != null;
        boolean[] mask = spec.callSite() == null ? null : CallSiteMask.compute(symbols(), spec.callSite());
        Labels[] groups = new Labels[series.size()];
        // Only windows that fall into single buckets can be added whole: the lengths the buckets align with.
        int levels = 0;
        while (rollup != null && levels < rollup.windowsMs().size() && out.bucketsAlignWith(rollup.windowsMs().get(levels))) {
            levels++;
        }
        RollupPlan plan = rollupPlan(spec, levels);
        if (plan != null) {
            // a service's series are summed only when they fall into the same result group
            BiPredicate<Integer, Integer> sameGroup = (a, b) -> group(out, groups, a).equals(group(out, groups, b));
            rollup.read(sel, matched(spec), sameGroup, plan, filtered, mask == null ? 0 : mask.length, r -> {
                long v = filtered ? spec.addSamples(r.stacks.values, r.values.values, r.stacks.size, null, mask, null) : r.total;
                out.add(group(out, groups, r.series), out.bucketOf(r.windowEndMs * 1_000_000L), v, r.profiles);
            });
        }
        for (TimeRange range : rawRanges(spec, plan)) {
            ProfileCursor c = cursor(sel, spec, range, filtered ? sampleColumns(spec) : EnumSet.of(Column.TOTAL));
            try {
                while (next(c)) {
                    long v = filtered
                            ? spec.addSamples(c.stacks.values, c.values.values, c.stacks.size, c.hasSpans ? c.spans.values : null, mask, null)
                            : c.total;
                    out.add(group(out, groups, c.series), out.bucketOf(c.timeNanos), v, 1);
                }
            } finally {
                close(c);
            }
        }
    }

    /** The accumulator's group of series {@code i}, computed once per query. */
    private Labels group(SeriesAccumulator out, Labels[] groups, int i) {
        if (groups[i] == null) {
            groups[i] = out.groupOf(series.labels[i]);
        }
        return groups[i];
    }

    @Override
    public void profileKeys(SelectionSpec spec, ProfileKeySet out) {
        boolean[] sel = selected(spec);
        if (sel == null) {
            return;
        }
        ProfileCursor c = cursor(sel, spec.range(), EnumSet.of(Column.ID));
        try {
            while (next(c)) {
                out.add(series.labels[c.series].fingerprint(), c.timeNanos, ProfileKeySet.idHash(c.id));
            }
        } finally {
            close(c);
        }
    }

    @Override
    public String toString() {
        return "ParquetBlock(" + name + ")";
    }
}
