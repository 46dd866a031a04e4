package dev.kiln.ingester.head;

import dev.kiln.common.block.BlockSeries;
import dev.kiln.common.model.Labels;
import dev.kiln.common.query.CallSiteMask;
import dev.kiln.common.query.PprofAccumulator;
import dev.kiln.common.query.ProfileKeySet;
import dev.kiln.common.query.QueryableBlock;
import dev.kiln.common.query.SelectionSpec;
import dev.kiln.common.query.SeriesAccumulator;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.selector.Selector;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.symbols.Symbols;
import dev.kiln.common.tree.CallTree;
import dev.kiln.common.tree.StackResolver;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The in-memory data of one tenant for one time window: symbols, series index and profiles. It
 * becomes one block when flushed. One writer at a time (appends are serialized by a lock); queries
 * run concurrently and lock-free on published snapshots.
 */
public final class HeadBlock implements QueryableBlock {
    private final String id;
    private final String tenant;
    private final long windowStartMs;
    private final long windowEndMs;
    private final SharedSymbols shared;
    private final SymbolTable symbols;
    private final SeriesIndex index = new SeriesIndex();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final CumulativeDeltas deltas;
    private volatile long minTimeMs = Long.MAX_VALUE;
    private volatile long maxTimeMs = Long.MIN_VALUE;
    private volatile long profileCount;
    private volatile long sampleCount;
    private volatile long profileBytes;
    private volatile long lastAppendMs;
    /** {@link #ownBytes()} as of the last append: every push checks the memory limits over all head blocks. */
    private volatile long ownBytes;

    /** A block with a symbol table of its own. */
    public HeadBlock(String id, String tenant, long windowStartMs, long windowEndMs, CumulativeDeltas deltas) {
        this(id, tenant, windowStartMs, windowEndMs, deltas, new SharedSymbols(System.currentTimeMillis()));
    }

    /**
     * @param deltas turns cumulative profiles into deltas; shared by all head blocks of the ingester
     * @param symbols the symbol table this block interns into, possibly shared with other blocks of the tenant
     */
    public HeadBlock(String id, String tenant, long windowStartMs, long windowEndMs, CumulativeDeltas deltas, SharedSymbols symbols) {
        this.shared = symbols;
        this.symbols = symbols.table();
        this.deltas = deltas;
        this.id = id;
        this.tenant = tenant;
        this.windowStartMs = windowStartMs;
        this.windowEndMs = windowEndMs;
    }

    public String id() {
        return id;
    }

    public String tenant() {
        return tenant;
    }

    public long windowStartMs() {
        return windowStartMs;
    }

    public long windowEndMs() {
        return windowEndMs;
    }

    public long lastAppendMs() {
        return lastAppendMs;
    }

    @Override
    public long minTimeMs() {
        return minTimeMs;
    }

    @Override
    public long maxTimeMs() {
        return maxTimeMs;
    }

    @Override
    public long profileCount() {
        return profileCount;
    }

    public long sampleCount() {
        return sampleCount;
    }

    public int seriesCount() {
        return index.size();
    }

    /** How many series of {@code p} this block does not hold yet (for the series limit). */
    public int newSeries(DecodedProfile p) {
        writeLock.lock();
        try {
            int n = 0;
            for (DecodedProfile.Part part : p.parts) {
                if (!index.contains(part.labels())) {
                    n++;
                }
            }
            return n;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Approximate heap bytes of this block when flushed on its own: its profiles and series plus
     * the whole symbol table it writes (for {@code max_block_bytes}).
     */
    public long sizeBytes() {
        return ownBytes + shared.sizeBytes();
    }

    /** Heap bytes of the profiles and series, without the symbol table, which other blocks may share. */
    public long ownBytes() {
        return ownBytes;
    }

    public SharedSymbols sharedSymbols() {
        return shared;
    }

    /** Stores a decoded profile. Cannot fail on input: the profile was validated when decoded. */
    public void append(DecodedProfile p) {
        writeLock.lock();
        try {
            int[] stacks;
            shared.lock().lock();
            try {
                stacks = symbols.importProfile(p.pprof, p.refs, p.maxStackDepth, p.maxSymbolLength);
                // Publish symbols before the profiles that reference them become visible.
                symbols.publish();
                shared.updateSize();
            } finally {
                shared.lock().unlock();
            }
            long added = 0;
            long samples = 0;
            SampleSet.Order order = new SampleSet.Order(stacks);
            for (DecodedProfile.Part part : p.parts) {
                if (part.cumulative()) {
                    deltas.apply(tenant, p, part);
                }
                SampleSet set = SampleSet.build(p, part, order);
                if (set == null) {
                    continue;
                }
                HeadSeries s = index.getOrCreate(part.labels());
                added += s.append(p.timeNanos, p.id, set.stacks, set.values, set.spans, set.total);
                samples += set.stacks.length;
            }
            long ms = Math.floorDiv(p.timeNanos, 1_000_000L);
            if (ms < minTimeMs) {
                minTimeMs = ms;
            }
            if (ms > maxTimeMs) {
                maxTimeMs = ms;
            }
            profileCount++;
            sampleCount += samples;
            profileBytes += added;
            ownBytes = profileBytes + index.size() * 512L;
            lastAppendMs = System.currentTimeMillis();
        } finally {
            writeLock.unlock();
        }
    }

    /** Symbols visible to readers. */
    public Symbols symbols() {
        return symbols.view();
    }

    /** Series with their profiles as of now, for flushing. */
    public List<BlockSeries> snapshot() {
        writeLock.lock();
        try {
            List<BlockSeries> out = new ArrayList<>(index.size());
            for (int i = 0; i < index.size(); i++) {
                HeadSeries s = index.get(i);
                out.add(new BlockSeries(s.labels, s.count(), s.timeNanos, s.ids, s.stacks, s.values, s.spans, s.totals));
            }
            return out;
        } finally {
            writeLock.unlock();
        }
    }

    private boolean outside(TimeRange range) {
        return profileCount == 0 || !range.overlaps(minTimeMs, maxTimeMs);
    }

    private List<HeadSeries> matching(List<Selector> selectors) {
        if (selectors.isEmpty()) {
            return index.select(Selector.ALL);
        }
        if (selectors.size() == 1) {
            return index.select(selectors.get(0));
        }
        java.util.LinkedHashSet<HeadSeries> all = new java.util.LinkedHashSet<>();
        for (Selector s : selectors) {
            all.addAll(index.select(s));
        }
        return new ArrayList<>(all);
    }

    @Override
    public void labelNames(TimeRange range, List<Selector> selectors, Set<String> out) {
        if (outside(range)) {
            return;
        }
        for (HeadSeries s : matching(selectors)) {
            for (int i = 0; i < s.labels.size(); i++) {
                out.add(s.labels.name(i));
            }
        }
    }

    @Override
    public void labelValues(TimeRange range, List<Selector> selectors, String name, Set<String> out) {
        if (outside(range)) {
            return;
        }
        for (HeadSeries s : matching(selectors)) {
            String v = s.labels.get(name);
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
        for (HeadSeries s : matching(selectors)) {
            out.add(names.isEmpty() ? s.labels : s.labels.keepOnly(names));
        }
    }

    /**
     * Sums the selected samples per stack-trace id. Reads profile counts before the symbols view,
     * so every stack id seen is covered by the view.
     */
    private Aggregate aggregate(SelectionSpec spec) {
        List<HeadSeries> series = index.select(spec.selector());
        int[] counts = new int[series.size()];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = series.get(i).count();
        }
        Symbols view = symbols.view();
        long[] values = new long[view.stackNodeCount];
        boolean[] mask = spec.callSite() == null ? null : CallSiteMask.compute(view, spec.callSite());
        TimeRange range = spec.range();
        for (int i = 0; i < counts.length; i++) {
            HeadSeries s = series.get(i);
            long fingerprint = s.labels.fingerprint();
            for (int k = 0; k < counts[i]; k++) {
                if (!range.containsNanos(s.timeNanos[k]) || !spec.claim(fingerprint, s.timeNanos[k], s.ids[k])) {
                    continue;
                }
                addSamples(spec, s.stacks[k], s.values[k], s.spans[k], mask, values);
            }
        }
        return new Aggregate(view, values);
    }

    private static long addSamples(SelectionSpec spec, int[] stacks, long[] vals, long[] spans, boolean[] mask, long[] into) {
        long sum = 0;
        for (int j = 0; j < stacks.length; j++) {
            if (spec.spanIds() != null && (spans == null || spans[j] == 0 || !spec.spanSelected(spans[j]))) {
                continue;
            }
            if (mask != null && !mask[stacks[j]]) {
                continue;
            }
            if (into != null) {
                into[stacks[j]] += vals[j];
            }
            sum += vals[j];
        }
        return sum;
    }

    private record Aggregate(Symbols symbols, long[] values) {}

    /** Whether a selection can match nothing here, so the block need not be scanned. */
    private boolean skip(SelectionSpec spec) {
        return outside(spec.range()) || spec.selectsNothing();
    }

    @Override
    public void mergeTree(SelectionSpec spec, CallTree out) {
        if (skip(spec)) {
            return;
        }
        Aggregate a = aggregate(spec);
        StackResolver.resolve(a.symbols, a.values, out);
    }

    @Override
    public void mergePprof(SelectionSpec spec, PprofAccumulator out) {
        if (skip(spec)) {
            return;
        }
        Aggregate a = aggregate(spec);
        out.add(a.symbols, a.values);
    }

    @Override
    public void mergeSeries(SelectionSpec spec, SeriesAccumulator out) {
        if (skip(spec)) {
            return;
        }
        boolean filtered = spec.spanIds() != null || spec.callSite() != null;
        boolean[] mask = spec.callSite() == null ? null : CallSiteMask.compute(symbols.view(), spec.callSite());
        TimeRange range = spec.range();
        for (HeadSeries s : index.select(spec.selector())) {
            int count = s.count();
            Labels group = out.groupOf(s.labels);
            long fingerprint = s.labels.fingerprint();
            for (int k = 0; k < count; k++) {
                long ts = s.timeNanos[k];
                if (!range.containsNanos(ts) || !spec.claim(fingerprint, ts, s.ids[k])) {
                    continue;
                }
                long v = filtered ? addSamples(spec, s.stacks[k], s.values[k], s.spans[k], mask, null) : s.totals[k];
                out.add(group, out.bucketOf(ts), v, 1);
            }
        }
    }

    @Override
    public void profileKeys(SelectionSpec spec, ProfileKeySet out) {
        if (outside(spec.range())) {
            return;
        }
        TimeRange range = spec.range();
        for (HeadSeries s : index.select(spec.selector())) {
            int count = s.count();
            long fingerprint = s.labels.fingerprint();
            for (int k = 0; k < count; k++) {
                if (range.containsNanos(s.timeNanos[k])) {
                    out.add(fingerprint, s.timeNanos[k], ProfileKeySet.idHash(s.ids[k]));
                }
            }
        }
    }
}
