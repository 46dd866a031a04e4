package dev.kiln.common.block;

import java.io.Closeable;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.filter2.columnindex.RowRanges;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.schema.MessageType;

/**
 * Reads chosen rows of one Parquet file of a block, one row at a time, fetching only the projected
 * columns: row groups are skipped when they hold none of the rows or when their statistics fail
 * the filter, and within a row group only the pages overlapping both the rows and (by the column
 * index) the filter are fetched and decoded. Subclasses read each row's fields and check it exactly.
 */
abstract class RowCursor implements Closeable {
    private final ParquetFileReader reader;
    private final MessageType projection;
    private final String createdBy;
    private final boolean filtered;
    private final long[] rowStarts;
    private final long[] rowEnds;
    private final List<BlockMetaData> rowGroups;
    private int nextRowGroup;
    private long rowsLeft;

    /**
     * @param rowStarts ascending, disjoint row ranges {@code [rowStarts[k], rowEnds[k])} to read; null for every row
     * @param filter    for row-group statistics and column indexes; {@link FilterCompat#NOOP} for none
     */
    RowCursor(ParquetFiles.Footer footer, MessageType projection, FilterCompat.Filter filter, long[] rowStarts, long[] rowEnds)
            throws IOException {
        this.projection = projection;
        this.filtered = filter != FilterCompat.NOOP;
        this.rowStarts = rowStarts;
        this.rowEnds = rowEnds;
        // Row groups whose statistics fail the filter are dropped when the reader opens.
        this.reader = footer.open(filter);
        this.reader.setRequestedSchema(projection);
        this.createdBy = reader.getFileMetaData().getCreatedBy();
        this.rowGroups = reader.getRowGroups();
    }

    /** Takes the column readers of a new row group. */
    abstract void startRowGroup(ParquetFiles.Columns columns);

    /** Reads the current row, or skips it; returns whether it is one the caller wants. */
    abstract boolean readRow() throws IOException;

    /** Moves to the next wanted row; false at the end. */
    boolean next() throws IOException {
        while (true) {
            while (rowsLeft == 0) {
                if (nextRowGroup == rowGroups.size()) {
                    return false;
                }
                PageReadStore pages = readRowGroup(nextRowGroup++);
                if (pages != null) {
                    rowsLeft = pages.getRowCount();
                    startRowGroup(new ParquetFiles.Columns(pages, projection, createdBy));
                }
            }
            rowsLeft--;
            if (readRow()) {
                return true;
            }
        }
    }

    /** The pages of row group {@code i} (an index into the reader's row groups) holding wanted rows, or null. */
    private PageReadStore readRowGroup(int i) throws IOException {
        BlockMetaData group = rowGroups.get(i);
        long start = group.getRowIndexOffset();
        long count = group.getRowCount();
        RowRanges rows;
        if (rowStarts == null) {
            rows = RowRanges.createSingle(count);
        } else {
            RowRanges.Builder b = RowRanges.builder();
            int k = Arrays.binarySearch(rowEnds, start);
            for (k = k < 0 ? -k - 1 : k + 1; k < rowStarts.length && rowStarts[k] < start + count; k++) {
                b.addSelectedRange(Math.max(rowStarts[k], start) - start, Math.min(rowEnds[k], start + count) - start - 1);
            }
            rows = b.build();
        }
        if (filtered && rows.rowCount() > 0) {
            rows = RowRanges.intersection(rows, reader.getRowRanges(i));
        }
        return rows.rowCount() == 0 ? null : reader.readFilteredRowGroup(i, rows);
    }

    /** Skips the current row of each column. */
    static void skipRow(ColumnReader... columns) {
        for (ColumnReader r : columns) {
            ParquetFiles.skipRow(r);
        }
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
