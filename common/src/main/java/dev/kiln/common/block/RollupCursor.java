package dev.kiln.common.block;

import dev.kiln.common.block.ParquetFiles.Ints;
import dev.kiln.common.block.ParquetFiles.Longs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Reads planned rows of rollup.parquet. The rows' positions come from the series index (see
 * {@link BlockRollup}), so each row is checked to hold the series and window expected at its
 * position; a row without profiles is skipped. The current row's fields are valid until the next
 * call to {@link #next()}.
 */
final class RollupCursor extends RowCursor {
    /**
     * Consecutive rows of series {@code [series, series + seriesCount)} and one window length:
     * windows ending at {@code firstEndMs}, then every {@code windowMs}.
     */
    record Rows(long firstRow, int count, int series, int seriesCount, long windowMs, long firstEndMs) {}

    private final List<Rows> rows;
    private final boolean samples;
    private final int stackIds;
    private int current;
    private long row;
    private ColumnReader seriesColumn;
    private ColumnReader seriesCountColumn;
    private ColumnReader windowColumn;
    private ColumnReader windowEndColumn;
    private ColumnReader profilesColumn;
    private ColumnReader totalColumn;
    private ColumnReader stackColumn;
    private ColumnReader valueColumn;

    /** The row sums series {@code [series, series + seriesCount)}. */
    int series;
    int seriesCount;
    long windowEndMs;
    int profiles;
    long total;
    final Ints stacks = new Ints();
    final Longs values = new Longs();

    /**
     * @param rows     ascending, disjoint runs of rows to read
     * @param samples  read the samples (else the totals)
     * @param stackIds the block's stack count: a stack id outside it marks the file as damaged
     */
    RollupCursor(ParquetFiles.Footer footer, List<Rows> rows, boolean samples, int stackIds) throws IOException {
        super(footer, projection(samples), FilterCompat.NOOP, rows.stream().mapToLong(Rows::firstRow).toArray(),
                rows.stream().mapToLong(r -> r.firstRow() + r.count()).toArray());
        this.rows = rows;
        this.samples = samples;
        this.stackIds = stackIds;
        this.row = rows.isEmpty() ? 0 : rows.get(0).firstRow();
    }

    private static MessageType projection(boolean samples) {
        MessageType full = BlockLayout.ROLLUP_SCHEMA;
        List<Type> fields = new ArrayList<>(List.of(full.getType("series_index"), full.getType("series_count"),
                full.getType("window_ms"), full.getType("window_end_ms"), full.getType("profile_count")));
        if (samples) {
            fields.add(full.getType("samples"));
        } else {
            fields.add(full.getType("total_value"));
        }
        return new MessageType(full.getName(), fields);
    }

    @Override
    void startRowGroup(ParquetFiles.Columns c) {
        seriesColumn = c.get("series_index");
        seriesCountColumn = c.get("series_count");
        windowColumn = c.get("window_ms");
        windowEndColumn = c.get("window_end_ms");
        profilesColumn = c.get("profile_count");
        totalColumn = samples ? null : c.get("total_value");
        stackColumn = samples ? c.get("samples.list.element.stack_id") : null;
        valueColumn = samples ? c.get("samples.list.element.value") : null;
    }

    @Override
    boolean readRow() throws IOException {
        Rows expected = rows.get(current);
        long at = row;
        long expectedEnd = expected.firstEndMs() + (at - expected.firstRow()) * expected.windowMs();
        series = ParquetFiles.readInt(seriesColumn);
        seriesCount = ParquetFiles.readInt(seriesCountColumn);
        long windowMs = ParquetFiles.readLong(windowColumn);
        windowEndMs = ParquetFiles.readLong(windowEndColumn);
        profiles = ParquetFiles.readInt(profilesColumn);
        if (series != expected.series() || seriesCount != expected.seriesCount() || windowMs != expected.windowMs()
                || windowEndMs != expectedEnd) {
            throw new IOException("row " + at + " holds " + seriesCount + " series from " + series + ", window of " + windowMs
                    + " ms ending at " + windowEndMs + "; the series index places " + expected.seriesCount() + " series from "
                    + expected.series() + ", window of " + expected.windowMs() + " ms ending at " + expectedEnd + " there");
        }
        if (++row == expected.firstRow() + expected.count() && ++current < rows.size()) {
            row = rows.get(current).firstRow();
        }
        if (profiles == 0) {
            skipRow(samples ? new ColumnReader[] {stackColumn, valueColumn} : new ColumnReader[] {totalColumn});
            return false;
        }
        if (samples) {
            ParquetFiles.readList(stackColumn, stacks);
            ParquetFiles.readList(valueColumn, values, 0);
            for (int j = 0; j < stacks.size; j++) {
                if (stacks.values[j] < 0 || stacks.values[j] >= stackIds) {
                    throw new IOException("row " + at + " has stack id " + stacks.values[j] + ", outside the block's "
                            + stackIds + " stack nodes");
                }
            }
        } else {
            total = ParquetFiles.readLong(totalColumn);
        }
        return true;
    }
}
