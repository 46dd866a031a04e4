package dev.kiln.common.block;

import dev.kiln.common.objstore.ObjectStore;
import dev.kiln.common.query.SelectionSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;
import org.apache.parquet.hadoop.metadata.BlockMetaData;

/**
 * A block's rollup (one file per window length, {@link BlockLayout#rollupFile}) as queries read it.
 * Rows sit per series and per service of several series, per window from the first to the last
 * profile, so the series index alone gives the position of every row: a plan's windows become
 * exact row ranges, and only their pages are fetched. A selection holding every series of a
 * service reads the service's rows, one per window however many pods it runs. Each file's footer
 * is read on first use and kept, like profiles.parquet's.
 */
final class BlockRollup {
    /** Receives each planned row that holds profiles. */
    @FunctionalInterface
    interface RowVisitor {
        void visit(RollupCursor row);
    }

    private final ObjectStore store;
    private final String block;
    private final String prefix;
    private final BlockSeriesIndex series;
    private final List<Long> windowsMs;
    /** Services as runs of series: service {@code s} is series {@code [serviceStart[s], serviceStart[s + 1])}. */
    private final int[] serviceStart;
    private final Level[] levels;

    /** The file of one window length. */
    private final class Level {
        final long windowMs;
        final String relPath;
        final BlockMeta.FileInfo file;
        /** Loaded on first use, with the row positions. */
        private ParquetFiles.Footer footer;
        /** The first row of each series' rows, and of each service's (services of several series). */
        private long[] seriesFirstRow;
        private long[] serviceFirstRow;

        Level(long windowMs, BlockMeta meta) {
            this.windowMs = windowMs;
            this.relPath = BlockLayout.rollupFile(windowMs);
            this.file = meta.file(relPath);
        }

        synchronized ParquetFiles.Footer footer() {
            if (footer == null) {
                long[] firstRows = new long[series.size()];
                long[] serviceRows = new long[serviceStart.length - 1];
                long expected = 0;
                for (int s = 0; s + 1 < serviceStart.length; s++) {
                    for (int i = serviceStart[s]; i < serviceStart[s + 1]; i++) {
                        firstRows[i] = expected;
                        expected += windowCount(minMs(i, i + 1), maxMs(i, i + 1));
                    }
                    serviceRows[s] = expected;
                    if (serviceStart[s + 1] - serviceStart[s] > 1) {
                        expected += windowCount(minMs(serviceStart[s], serviceStart[s + 1]), maxMs(serviceStart[s], serviceStart[s + 1]));
                    }
                }
                String key = prefix + relPath;
                ParquetFiles.Footer loaded = BlockFileErrors.guard(block, relPath, () -> ParquetFiles.readFooter(
                        key, file.sizeBytes(), (offset, length) -> store.getRange(key, offset, length)));
                long stored = loaded.metadata().getBlocks().stream().mapToLong(BlockMetaData::getRowCount).sum();
                if (stored != expected || file.numRows() != expected) {
                    throw new BlockCorruptedException(block, relPath, "has " + stored + " rows (meta.json says "
                            + file.numRows() + "), but the series index calls for " + expected);
                }
                seriesFirstRow = firstRows;
                serviceFirstRow = serviceRows;
                footer = loaded;
            }
            return footer;
        }

        /** How many windows span {@code minMs} to {@code maxMs}. */
        long windowCount(long minMs, long maxMs) {
            return (BlockLayout.rollupWindowEnd(maxMs, windowMs) - BlockLayout.rollupWindowEnd(minMs, windowMs)) / windowMs + 1;
        }

        /**
         * The planned windows (all of this length) as runs of rows, ascending: a service's own rows
         * where {@code wholeService}, the selected series' rows elsewhere.
         */
        List<RollupCursor.Rows> rows(boolean[] selected, boolean[] wholeService, List<RollupPlan.Windows> planned) {
            List<RollupCursor.Rows> out = new ArrayList<>();
            for (int s = 0; s + 1 < serviceStart.length; s++) {
                int from = serviceStart[s];
                int to = serviceStart[s + 1];
                if (wholeService[s]) {
                    addRuns(out, serviceFirstRow[s], from, to - from, minMs(from, to), maxMs(from, to), planned);
                    continue;
                }
                for (int i = from; i < to; i++) {
                    if (selected[i]) {
                        addRuns(out, seriesFirstRow[i], i, 1, minMs(i, i + 1), maxMs(i, i + 1), planned);
                    }
                }
            }
            return out;
        }

        /** The planned windows among the rows from {@code firstRow} of series {@code [first, first + count)}, which span {@code minMs} to {@code maxMs}. */
        private void addRuns(List<RollupCursor.Rows> out, long firstRow, int first, int count, long minMs, long maxMs,
                List<RollupPlan.Windows> planned) {
            long firstEnd = BlockLayout.rollupWindowEnd(minMs, windowMs);
            long lastEnd = BlockLayout.rollupWindowEnd(maxMs, windowMs);
            for (RollupPlan.Windows w : planned) {
                long from = Math.max(w.firstEndMs(), firstEnd);
                long to = Math.min(w.lastEndMs(), lastEnd);
                if (from <= to) {
                    out.add(new RollupCursor.Rows(firstRow + (from - firstEnd) / windowMs, Math.toIntExact((to - from) / windowMs + 1),
                            first, count, windowMs, from));
                }
            }
        }
    }

    /** The first profile time (ms) of series {@code [from, to)}. */
    private long minMs(int from, int to) {
        long min = Long.MAX_VALUE;
        for (int i = from; i < to; i++) {
            min = Math.min(min, series.minNanos[i]);
        }
        return Math.floorDiv(min, 1_000_000L);
    }

    /** The last profile time (ms) of series {@code [from, to)}. */
    private long maxMs(int from, int to) {
        long max = Long.MIN_VALUE;
        for (int i = from; i < to; i++) {
            max = Math.max(max, series.maxNanos[i]);
        }
        return Math.floorDiv(max, 1_000_000L);
    }

    BlockRollup(ObjectStore store, BlockMeta meta, BlockSeriesIndex series) {
        this.store = store;
        this.block = meta.tenant() + "/" + meta.id();
        this.prefix = BlockUploader.prefix(meta.tenant(), meta.id());
        this.series = series;
        this.windowsMs = meta.rollupWindowsMs();
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i < series.size(); i++) {
            if (i == 0 || !BlockLayout.sameService(series.labels[i - 1], series.labels[i])) {
                starts.add(i);
            }
        }
        starts.add(series.size());
        this.serviceStart = starts.stream().mapToInt(Integer::intValue).toArray();
        this.levels = new Level[windowsMs.size()];
        for (int k = 0; k < levels.length; k++) {
            levels[k] = new Level(windowsMs.get(k), meta);
        }
    }

    /**
     * Whether a rollup can answer {@code spec}: a rollup row sums whole profiles, so nothing may pick
     * profiles or samples by what the rollup leaves out: span ids, or the profile keys of an include
     * set (replica deduplication picks single profiles). Call-site selectors can be answered: they
     * pick stacks, which rollup rows keep.
     */
    static boolean canAnswer(SelectionSpec spec) {
        return spec.spanIds() == null && spec.include() == null;
    }

    List<Long> windowsMs() {
        return windowsMs;
    }

    /**
     * Visits the rows of the {@code selected} series in the plan's windows, shortest windows first,
     * skipping rows without profiles. A service whose series all match the selector and may be
     * summed is visited as a whole (a row's {@link RollupCursor#seriesCount} tells).
     *
     * @param matched  per series, whether the selector matches it, whatever its time span
     * @param summable whether the caller may receive series {@code a} and {@code b} summed into one
     *                 row (a time series grouped by a label that differs between them may not); null for always
     * @param samples  read the samples (else only the totals)
     * @param stackIds the block's stack count, which the rows' stack ids must stay below
     */
    void read(boolean[] selected, boolean[] matched, BiPredicate<Integer, Integer> summable, RollupPlan plan, boolean samples,
            int stackIds, RowVisitor visitor) {
        boolean[] wholeService = new boolean[serviceStart.length - 1];
        for (int s = 0; s < wholeService.length; s++) {
            int first = serviceStart[s];
            boolean whole = serviceStart[s + 1] - first > 1;
            boolean any = false;
            for (int i = first; i < serviceStart[s + 1] && whole; i++) {
                whole = matched[i] && (summable == null || summable.test(first, i));
                any |= selected[i];
            }
            wholeService[s] = whole && any;
        }
        for (int k = 0; k < levels.length; k++) {
            int level = k;
            Level l = levels[k];
            List<RollupPlan.Windows> planned = plan.windows().stream().filter(w -> w.level() == level).toList();
            if (planned.isEmpty()) {
                continue;
            }
            ParquetFiles.Footer footer = l.footer();
            List<RollupCursor.Rows> rows = l.rows(selected, wholeService, planned);
            if (rows.isEmpty()) {
                continue;
            }
            RollupCursor cursor = BlockFileErrors.guard(block, l.relPath, () -> new RollupCursor(footer, rows, samples, stackIds));
            try {
                while (BlockFileErrors.guard(block, l.relPath, cursor::next)) {
                    visitor.visit(cursor);
                }
            } finally {
                BlockFileErrors.guard(block, l.relPath, () -> {
                    cursor.close();
                    return null;
                });
            }
        }
    }
}
