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
import java.io.IOException;
import java.lang.ref.SoftReference;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A block in object storage, answering the same queries as an ingester head. Opening reads
 * meta.json, the series index and the footer of profiles.parquet (with its page indexes), nothing
 * else; each query then fetches only the pages of the columns it needs, for the series and time
 * range it selects. Symbols are loaded on first use and kept while memory allows (a soft
 * reference), since every flame-graph query of the block needs all of them.
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
    private SoftReference<Symbols> symbols = new SoftReference<>(null);

    private ParquetBlock(ObjectStore store, BlockMeta meta) {
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
    }

    /** Opens {@code <tenant>/<blockId>/} by reading its meta.json first. */
    public static ParquetBlock open(ObjectStore store, String tenant, String blockId) {
        String block = tenant + "/" + blockId;
        byte[] json = BlockFileErrors.guard(block, BlockLayout.META,
                () -> store.get(BlockUploader.prefix(tenant, blockId) + BlockLayout.META));
        return open(store, BlockMeta.fromJson(json, block));
    }

    /** Opens a block whose meta is already known (from a listing or a bucket index). */
    public static ParquetBlock open(ObjectStore store, BlockMeta meta) {
        return new ParquetBlock(store, meta);
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

    /** The block's symbols, loaded on first use. */
    Symbols symbols() {
        synchronized (this) {
            Symbols s = symbols.get();
            if (s == null) {
                s = BlockSymbolsReader.read(name, this::wholeFile);
                symbols = new SoftReference<>(s);
            }
            return s;
        }
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
     * A cursor over a selection's profiles; with an include set, only over those it claims, which
     * costs reading the id column but skips the samples of every profile not claimed here.
     */
    private ProfileCursor cursor(boolean[] selected, SelectionSpec spec, Set<Column> columns) {
        if (spec.include() == null) {
            return cursor(selected, spec.range(), columns);
        }
        EnumSet<Column> withId = EnumSet.copyOf(columns);
        withId.add(Column.ID);
        return cursor(selected, spec.range(), withId, (s, timeNanos, id) -> spec.claim(series.labels[s].fingerprint(), timeNanos, id));
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

    /** Sums the samples of the selected series per stack id. */
    private long[] aggregate(SelectionSpec spec, boolean[] sel, Symbols symbols) {
        long[] values = new long[symbols.stackNodeCount];
        boolean[] mask = spec.callSite() == null ? null : CallSiteMask.compute(symbols, spec.callSite());
        ProfileCursor c = cursor(sel, spec, sampleColumns(spec));
        try {
            while (next(c)) {
                spec.addSamples(c.stacks.values, c.values.values, c.stacks.size, c.hasSpans ? c.spans.values : null,
                        mask, values);
            }
        } finally {
            close(c);
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
        StackResolver.resolve(s, aggregate(spec, sel, s), out);
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
        ProfileCursor c = cursor(sel, spec, filtered ? sampleColumns(spec) : EnumSet.of(Column.TOTAL));
        try {
            while (next(c)) {
                long v = filtered
                        ? spec.addSamples(c.stacks.values, c.values.values, c.stacks.size, c.hasSpans ? c.spans.values : null, mask, null)
                        : c.total;
                Labels group = groups[c.series];
                if (group == null) {
                    group = out.groupOf(series.labels[c.series]);
                    groups[c.series] = group;
                }
                out.add(group, out.bucketOf(c.timeNanos), v, 1);
            }
        } finally {
            close(c);
        }
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
