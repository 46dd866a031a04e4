package dev.kiln.common.block;

import dev.kiln.common.block.ProfileCursor.Column;
import dev.kiln.common.model.Labels;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.symbols.SymbolImporter;
import dev.kiln.common.symbols.SymbolTable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Merges blocks of one tenant into one, for the compactor: series are unioned, symbols re-interned
 * into one table (keeping only what the profiles use), and a profile present in several inputs
 * (same series, timestamp and id: replicas, or a re-pushed profile) is kept once. The result has
 * compaction level max(input levels) + 1 and records its inputs.
 *
 * <p>Inputs are streamed: each is read in its stored order (series, time, id) through one cursor,
 * and a series' profiles are merged across inputs as they are read, so memory holds the inputs'
 * symbol tables and series indexes but not their profiles.
 */
public final class BlockMerger {
    private BlockMerger() {}

    /** One input's cursor, positioned on its next unconsumed profile (or exhausted). */
    private static final class Input {
        final ParquetBlock block;
        final ProfileCursor cursor;
        final SymbolImporter symbols;
        boolean hasRow;

        Input(ParquetBlock block, SymbolTable target) {
            this.block = block;
            this.symbols = new SymbolImporter(target, block.symbols());
            this.cursor = block.cursor(null, TimeRange.ALL, EnumSet.of(Column.ID, Column.TOTAL, Column.SAMPLES, Column.SPANS));
            advance();
        }

        void advance() {
            hasRow = block.next(cursor);
        }

        boolean at(int series) {
            return hasRow && cursor.series == series;
        }
    }

    /**
     * Writes the merge of {@code inputs} into {@code dir} as block {@code blockId}, with a rollup
     * (rollup.parquet) when {@code withRollup}.
     *
     * @throws IllegalArgumentException when there are no inputs or they belong to different tenants
     */
    public static BlockMeta merge(List<ParquetBlock> inputs, Path dir, String blockId, BlockWriterConfig config, boolean withRollup)
            throws IOException {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("nothing to merge: no input blocks");
        }
        String tenant = inputs.get(0).meta().tenant();
        int level = 0;
        TreeSet<String> sources = new TreeSet<>();
        List<String> parents = new ArrayList<>();
        for (ParquetBlock b : inputs) {
            if (!b.meta().tenant().equals(tenant)) {
                throw new IllegalArgumentException("cannot merge blocks of different tenants: " + tenant + " and "
                        + b.meta().tenant() + " (block " + b.meta().id() + ")");
            }
            level = Math.max(level, b.meta().compaction().level());
            sources.addAll(b.meta().compaction().sources());
            parents.add(b.meta().id());
        }

        // Output series in block order, each with the input series it unions: per input, index or -1.
        TreeMap<Labels, int[]> union = new TreeMap<>(BlockLayout.SERIES_ORDER);
        for (int i = 0; i < inputs.size(); i++) {
            BlockSeriesIndex index = inputs.get(i).seriesIndex();
            for (int s = 0; s < index.size(); s++) {
                int[] refs = union.computeIfAbsent(index.labels[s], l -> {
                    int[] r = new int[inputs.size()];
                    Arrays.fill(r, -1);
                    return r;
                });
                refs[i] = s;
            }
        }

        SymbolTable symbols = new SymbolTable();
        List<Input> cursors = new ArrayList<>();
        try (BlockWriter out = new BlockWriter(dir, tenant, blockId, config, withRollup)) {
            for (ParquetBlock b : inputs) {
                cursors.add(new Input(b, symbols));
            }
            Samples samples = new Samples();
            for (var e : union.entrySet()) {
                out.startSeries(e.getKey());
                mergeSeries(cursors, e.getValue(), samples, out);
                out.endSeries();
            }
            return out.finish(symbols.publish(), new BlockMeta.Compaction(level + 1, List.copyOf(sources), parents));
        } finally {
            for (Input c : cursors) {
                c.block.close(c.cursor);
            }
        }
    }

    /** Writes one series' profiles from all inputs in (time, id) order, each distinct profile once. */
    private static void mergeSeries(List<Input> inputs, int[] refs, Samples samples, BlockWriter out) throws IOException {
        long lastTime = 0;
        String lastId = null;
        while (true) {
            Input best = null;
            for (int i = 0; i < inputs.size(); i++) {
                Input in = inputs.get(i);
                if (refs[i] >= 0 && in.at(refs[i]) && (best == null || before(in.cursor, best.cursor))) {
                    best = in;
                }
            }
            if (best == null) {
                return;
            }
            ProfileCursor c = best.cursor;
            if (lastId == null || c.timeNanos != lastTime || !c.id.equals(lastId)) {
                samples.load(c, best.symbols);
                out.addProfile(c.timeNanos, c.id, c.total, samples.stacks, samples.values,
                        c.hasSpans ? samples.spans : null, samples.size);
                lastTime = c.timeNanos;
                lastId = c.id;
            }
            best.advance();
        }
    }

    private static boolean before(ProfileCursor a, ProfileCursor b) {
        return a.timeNanos != b.timeNanos ? a.timeNanos < b.timeNanos : a.id.compareTo(b.id) < 0;
    }

    /** A profile's samples with stack ids translated to the output table and re-sorted by (stack, span). */
    private static final class Samples {
        int[] stacks = new int[64];
        long[] values = new long[64];
        long[] spans = new long[64];
        long[] keys = new long[64];
        int size;

        void load(ProfileCursor c, SymbolImporter symbols) {
            int n = c.stacks.size;
            if (stacks.length < n) {
                int cap = Math.max(n, stacks.length * 2);
                stacks = new int[cap];
                values = new long[cap];
                spans = new long[cap];
                keys = new long[cap];
            }
            for (int j = 0; j < n; j++) {
                keys[j] = ((long) symbols.stack(c.stacks.values[j]) << 32) | j;
            }
            Arrays.sort(keys, 0, n);
            for (int j = 0; j < n; j++) {
                int src = (int) keys[j];
                stacks[j] = (int) (keys[j] >>> 32);
                values[j] = c.values.values[src];
                spans[j] = c.hasSpans ? c.spans.values[src] : 0;
            }
            if (c.hasSpans) {
                sortSpansWithinStacks(n);
            }
            size = n;
        }

        /** Samples of one stack differ by span: order those by span too, so output is deterministic. */
        private void sortSpansWithinStacks(int n) {
            for (int j = 1; j < n; j++) {
                int k = j;
                while (k > 0 && stacks[k - 1] == stacks[k] && spans[k - 1] > spans[k]) {
                    long sp = spans[k];
                    spans[k] = spans[k - 1];
                    spans[k - 1] = sp;
                    long v = values[k];
                    values[k] = values[k - 1];
                    values[k - 1] = v;
                    k--;
                }
            }
        }
    }
}
