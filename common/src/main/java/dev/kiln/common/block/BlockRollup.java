package dev.kiln.common.block;

import dev.kiln.common.objstore.ObjectStore;
import dev.kiln.common.query.SelectionSpec;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.hadoop.metadata.BlockMetaData;

/**
 * A block's rollup (rollup.parquet) as queries read it. Rows sit per series, per window length,
 * per window from the series' first to its last profile, so the series index alone gives the
 * position of every row: a plan's windows become exact row ranges, and only their pages are
 * fetched. The file's footer is read on first use and kept, like profiles.parquet's.
 */
final class BlockRollup {
    /** Receives each planned row that holds profiles. */
    @FunctionalInterface
    interface RowVisitor {
        void visit(RollupCursor row);
    }

    private final ObjectStore store;
    private final String block;
    private final String key;
    private final BlockMeta.FileInfo file;
    private final List<Long> windowsMs;
    private final BlockSeriesIndex series;
    /** Loaded on first use, with {@link #seriesFirstRow}. */
    private ParquetFiles.Footer footer;
    /** The first row of each series' part of the file. */
    private long[] seriesFirstRow;

    BlockRollup(ObjectStore store, BlockMeta meta, BlockSeriesIndex series) {
        this.store = store;
        this.block = meta.tenant() + "/" + meta.id();
        this.key = BlockUploader.prefix(meta.tenant(), meta.id()) + BlockLayout.ROLLUP;
        this.file = meta.file(BlockLayout.ROLLUP);
        this.windowsMs = meta.rollupWindowsMs();
        this.series = series;
    }

    /**
     * Whether a rollup can answer {@code spec}: a rollup row sums whole profiles, so nothing may pick
     * profiles or samples by what the rollup leaves out, such as span ids. Call-site selectors can
     * be answered: they pick stacks, which rollup rows keep.
     */
    static boolean canAnswer(SelectionSpec spec) {
        return spec.spanIds() == null;
    }

    List<Long> windowsMs() {
        return windowsMs;
    }

    /**
     * Visits the rows of the {@code selected} series in the plan's windows, in file order, skipping
     * rows without profiles.
     *
     * @param samples  read the samples (else only the totals)
     * @param stackIds the block's stack count, which the rows' stack ids must stay below
     */
    void read(boolean[] selected, RollupPlan plan, boolean samples, int stackIds, RowVisitor visitor) {
        ParquetFiles.Footer f = footer();
        List<RollupCursor.Rows> rows = rows(selected, plan);
        if (rows.isEmpty()) {
            return;
        }
        RollupCursor cursor = BlockFileErrors.guard(block, BlockLayout.ROLLUP, () -> new RollupCursor(f, rows, samples, stackIds));
        try {
            while (BlockFileErrors.guard(block, BlockLayout.ROLLUP, cursor::next)) {
                visitor.visit(cursor);
            }
        } finally {
            BlockFileErrors.guard(block, BlockLayout.ROLLUP, () -> {
                cursor.close();
                return null;
            });
        }
    }

    private synchronized ParquetFiles.Footer footer() {
        if (footer == null) {
            long[] firstRows = new long[series.size() + 1];
            for (int i = 0; i < series.size(); i++) {
                long n = 0;
                for (int level = 0; level < windowsMs.size(); level++) {
                    n += windowCount(i, level);
                }
                firstRows[i + 1] = firstRows[i] + n;
            }
            ParquetFiles.Footer loaded = BlockFileErrors.guard(block, BlockLayout.ROLLUP, () -> ParquetFiles.readFooter(
                    key, file.sizeBytes(), (offset, length) -> store.getRange(key, offset, length)));
            long stored = loaded.metadata().getBlocks().stream().mapToLong(BlockMetaData::getRowCount).sum();
            long expected = firstRows[series.size()];
            if (stored != expected || file.numRows() != expected) {
                throw new BlockCorruptedException(block, BlockLayout.ROLLUP, "has " + stored + " rows (meta.json says "
                        + file.numRows() + "), but the series index calls for " + expected);
            }
            seriesFirstRow = firstRows;
            footer = loaded;
        }
        return footer;
    }

    /** The end of series {@code i}'s first window of length {@code windowsMs[level]}. */
    private long firstWindowEnd(int i, int level) {
        return BlockLayout.rollupWindowEnd(Math.floorDiv(series.minNanos[i], 1_000_000L), windowsMs.get(level));
    }

    /** How many windows of length {@code windowsMs[level]} series {@code i} has a row for: from its first to its last profile's. */
    private long windowCount(int i, int level) {
        long length = windowsMs.get(level);
        long last = BlockLayout.rollupWindowEnd(Math.floorDiv(series.maxNanos[i], 1_000_000L), length);
        return (last - firstWindowEnd(i, level)) / length + 1;
    }

    /** The plan's windows of the selected series as runs of rows, ascending. */
    private List<RollupCursor.Rows> rows(boolean[] selected, RollupPlan plan) {
        List<RollupCursor.Rows> out = new ArrayList<>();
        for (int i = 0; i < selected.length; i++) {
            if (!selected[i]) {
                continue;
            }
            long levelRow = seriesFirstRow[i];
            int level = 0;
            for (RollupPlan.Windows w : plan.windows()) {
                while (level < w.level()) {
                    levelRow += windowCount(i, level++);
                }
                long length = windowsMs.get(level);
                long first = firstWindowEnd(i, level);
                long last = first + (windowCount(i, level) - 1) * length;
                long from = Math.max(w.firstEndMs(), first);
                long to = Math.min(w.lastEndMs(), last);
                if (from <= to) {
                    out.add(new RollupCursor.Rows(levelRow + (from - first) / length, Math.toIntExact((to - from) / length + 1), i,
                            length, from));
                }
            }
        }
        return out;
    }
}
