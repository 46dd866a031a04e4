package dev.kiln.common.block;

import dev.kiln.common.block.ParquetFiles.Ints;
import dev.kiln.common.block.ParquetFiles.Longs;
import dev.kiln.common.query.TimeRange;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.filter2.columnindex.RowRanges;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.filter2.predicate.FilterApi;
import org.apache.parquet.filter2.predicate.FilterPredicate;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Reads the profiles of selected series in a time range from profiles.parquet, one row at a time,
 * fetching only the requested columns. The series index gives each selected series' exact row
 * range; row groups are skipped when they hold none of those rows or when their time statistics
 * miss the range, and within a row group only the pages overlapping both the selected rows and
 * (by the column index) the time range are fetched and decoded. Rows are still checked exactly.
 * The current row's fields are valid until the next call to {@link #next()}.
 */
final class ProfileCursor implements Closeable {
    /** Which optional columns to read. */
    enum Column { ID, TOTAL, SAMPLES, SPANS }

    /** Decides from a row's series index, time and id whether the rest of it is read and returned. */
    @FunctionalInterface
    interface RowFilter {
        boolean accept(int series, long timeNanos, String id);
    }

    private final ParquetFileReader reader;
    private final MessageType projection;
    private final String createdBy;
    private final boolean[] selected;
    private final long[] rowStarts;
    private final long[] rowEnds;
    private final TimeRange range;
    private final boolean timeFiltered;
    private final Set<Column> columns;
    private final RowFilter rowFilter;
    private final List<BlockMetaData> rowGroups;
    private int nextRowGroup;
    private long rowsLeft;
    private ColumnReader seriesColumn;
    private ColumnReader timeColumn;
    private ColumnReader idColumn;
    private ColumnReader totalColumn;
    private ColumnReader stackColumn;
    private ColumnReader valueColumn;
    private ColumnReader spanColumn;
    /** The optional columns read after the id, to skip a row that is not wanted. */
    private ColumnReader[] payloadColumns;

    int series;
    long timeNanos;
    String id;
    long total;
    final Ints stacks = new Ints();
    final Longs values = new Longs();
    final Longs spans = new Longs();
    /** Whether the current profile was stored with span ids (false when {@link Column#SPANS} is not read). */
    boolean hasSpans;

    /**
     * @param selected  per series index, whether to return its profiles; null for all series
     * @param index     the block's series index, for the row ranges of the selected series
     * @param rowFilter null for every row of the selected series in range; else consulted for each
     *                  of them before its payload (total, samples) is read. Needs {@link Column#ID}.
     */
    ProfileCursor(ParquetFiles.Footer footer, BlockSeriesIndex index, boolean[] selected, TimeRange range, Set<Column> columns,
            RowFilter rowFilter) throws IOException {
        if (rowFilter != null && !columns.contains(Column.ID)) {
            throw new IllegalArgumentException("a row filter needs the id column");
        }
        this.selected = selected;
        this.range = range;
        this.columns = columns;
        this.rowFilter = rowFilter;
        this.projection = projection(columns);
        FilterCompat.Filter filter = timeFilter(range);
        this.timeFiltered = filter != FilterCompat.NOOP;
        // Row groups whose time statistics miss the range are dropped when the reader opens.
        this.reader = footer.open(filter);
        this.reader.setRequestedSchema(projection);
        this.createdBy = reader.getFileMetaData().getCreatedBy();
        this.rowGroups = reader.getRowGroups();
        List<long[]> ranges = new ArrayList<>();
        if (selected != null) {
            for (int i = 0; i < selected.length; i++) {
                if (selected[i]) {
                    long from = index.firstRow[i];
                    long to = from + index.profileCount[i];
                    if (!ranges.isEmpty() && ranges.get(ranges.size() - 1)[1] == from) {
                        ranges.get(ranges.size() - 1)[1] = to;
                    } else {
                        ranges.add(new long[] {from, to});
                    }
                }
            }
        }
        this.rowStarts = selected == null ? null : ranges.stream().mapToLong(r -> r[0]).toArray();
        this.rowEnds = selected == null ? null : ranges.stream().mapToLong(r -> r[1]).toArray();
    }

    private static MessageType projection(Set<Column> columns) {
        MessageType full = BlockLayout.PROFILES_SCHEMA;
        List<Type> fields = new ArrayList<>(List.of(full.getType("series_index"), full.getType("time_nanos")));
        if (columns.contains(Column.ID)) {
            fields.add(full.getType("id"));
        }
        if (columns.contains(Column.TOTAL)) {
            fields.add(full.getType("total_value"));
        }
        if (columns.contains(Column.SAMPLES)) {
            GroupType samples = full.getType("samples").asGroupType();
            GroupType list = samples.getType("list").asGroupType();
            GroupType element = list.getType("element").asGroupType();
            List<Type> elementFields = new ArrayList<>(List.of(element.getType("stack_id"), element.getType("value")));
            if (columns.contains(Column.SPANS)) {
                elementFields.add(element.getType("span_id"));
            }
            fields.add(samples.withNewFields(list.withNewFields(element.withNewFields(elementFields))));
        }
        return new MessageType(full.getName(), fields);
    }

    /** The time range as a predicate for row-group statistics and column indexes (NOOP for all time). */
    private static FilterCompat.Filter timeFilter(TimeRange range) {
        FilterPredicate p = null;
        if (range.startMs() != Long.MIN_VALUE) {
            p = FilterApi.gtEq(FilterApi.longColumn("time_nanos"), saturatedNanos(range.startMs(), 0));
        }
        if (range.endMs() != Long.MAX_VALUE) {
            p = and(p, FilterApi.ltEq(FilterApi.longColumn("time_nanos"), saturatedNanos(range.endMs(), 999_999)));
        }
        return p == null ? FilterCompat.NOOP : FilterCompat.get(p);
    }

    private static FilterPredicate and(FilterPredicate a, FilterPredicate b) {
        return a == null ? b : FilterApi.and(a, b);
    }

    /** {@code ms * 1e6 + extra}, clamped to the long range. */
    private static long saturatedNanos(long ms, long extra) {
        if (ms > (Long.MAX_VALUE - extra) / 1_000_000L) {
            return Long.MAX_VALUE;
        }
        if (ms < Long.MIN_VALUE / 1_000_000L) {
            return Long.MIN_VALUE;
        }
        return ms * 1_000_000L + extra;
    }

    /** Moves to the next selected profile in range; false at the end. */
    boolean next() throws IOException {
        while (true) {
            while (rowsLeft == 0) {
                if (nextRowGroup == rowGroups.size()) {
                    return false;
                }
                PageReadStore pages = readRowGroup(nextRowGroup++);
                if (pages != null) {
                    startRowGroup(pages);
                }
            }
            rowsLeft--;
            series = ParquetFiles.readInt(seriesColumn);
            timeNanos = ParquetFiles.readLong(timeColumn);
            boolean wanted = (selected == null || (series < selected.length && selected[series])) && range.containsNanos(timeNanos);
            if (idColumn != null) {
                if (wanted) {
                    id = ParquetFiles.readString(idColumn);
                } else {
                    ParquetFiles.skipRow(idColumn);
                }
            }
            if (wanted && (rowFilter == null || rowFilter.accept(series, timeNanos, id))) {
                readPayload();
                return true;
            }
            for (ColumnReader r : payloadColumns) {
                ParquetFiles.skipRow(r);
            }
        }
    }

    /** The pages of row group {@code i} (an index into the reader's row groups) holding wanted rows, or null. */
    private PageReadStore readRowGroup(int i) throws IOException {
        BlockMetaData group = rowGroups.get(i);
        long start = group.getRowIndexOffset();
        long count = group.getRowCount();
        RowRanges rows;
        if (selected == null) {
            rows = RowRanges.createSingle(count);
        } else {
            RowRanges.Builder b = RowRanges.builder();
            int k = Arrays.binarySearch(rowEnds, start);
            for (k = k < 0 ? -k - 1 : k + 1; k < rowStarts.length && rowStarts[k] < start + count; k++) {
                b.addSelectedRange(Math.max(rowStarts[k], start) - start, Math.min(rowEnds[k], start + count) - start - 1);
            }
            rows = b.build();
        }
        if (timeFiltered && rows.rowCount() > 0) {
            rows = RowRanges.intersection(rows, reader.getRowRanges(i));
        }
        return rows.rowCount() == 0 ? null : reader.readFilteredRowGroup(i, rows);
    }

    private void startRowGroup(PageReadStore pages) {
        ParquetFiles.Columns c = new ParquetFiles.Columns(pages, projection, createdBy);
        rowsLeft = pages.getRowCount();
        seriesColumn = c.get("series_index");
        timeColumn = c.get("time_nanos");
        idColumn = columns.contains(Column.ID) ? c.get("id") : null;
        totalColumn = columns.contains(Column.TOTAL) ? c.get("total_value") : null;
        stackColumn = columns.contains(Column.SAMPLES) ? c.get("samples.list.element.stack_id") : null;
        valueColumn = columns.contains(Column.SAMPLES) ? c.get("samples.list.element.value") : null;
        spanColumn = columns.contains(Column.SPANS) ? c.get("samples.list.element.span_id") : null;
        payloadColumns = Stream.of(totalColumn, stackColumn, valueColumn, spanColumn)
                .filter(Objects::nonNull).toArray(ColumnReader[]::new);
    }

    private void readPayload() {
        if (totalColumn != null) {
            total = ParquetFiles.readLong(totalColumn);
        }
        if (stackColumn != null) {
            ParquetFiles.readList(stackColumn, stacks);
            ParquetFiles.readList(valueColumn, values, 0);
        }
        hasSpans = spanColumn != null && ParquetFiles.readList(spanColumn, spans, 0);
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
