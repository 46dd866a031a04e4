package dev.kiln.common.block;

import dev.kiln.common.block.ParquetFiles.Ints;
import dev.kiln.common.block.ParquetFiles.Longs;
import dev.kiln.common.query.TimeRange;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.filter2.predicate.FilterApi;
import org.apache.parquet.filter2.predicate.FilterPredicate;
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
final class ProfileCursor extends RowCursor {
    /** Which optional columns to read. */
    enum Column { ID, TOTAL, SAMPLES, SPANS }

    /** Decides from a row's series index, time and id whether the rest of it is read and returned. */
    @FunctionalInterface
    interface RowFilter {
        boolean accept(int series, long timeNanos, String id);
    }

    private final boolean[] selected;
    private final TimeRange range;
    private final Set<Column> columns;
    private final RowFilter rowFilter;
    private ColumnReader seriesColumn;
    private ColumnReader timeColumn;
    private ColumnReader idColumn;
    private ColumnReader totalColumn;
    private ColumnReader stackColumn;
    private ColumnReader valueColumn;
    private ColumnReader spanColumn;
    /** The columns after the id read for this query, to skip a row that is not wanted. */
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
        this(footer, selected, range, columns, rowFilter, selected == null ? null : rowRanges(index, selected));
    }

    private ProfileCursor(ParquetFiles.Footer footer, boolean[] selected, TimeRange range, Set<Column> columns, RowFilter rowFilter,
            long[][] rows) throws IOException {
        super(footer, projection(columns), timeFilter(range), rows == null ? null : rows[0], rows == null ? null : rows[1]);
        if (rowFilter != null && !columns.contains(Column.ID)) {
            throw new IllegalArgumentException("a row filter needs the id column");
        }
        this.selected = selected;
        this.range = range;
        this.columns = columns;
        this.rowFilter = rowFilter;
    }

    /** The selected series' rows as ascending ranges, adjacent series joined: {starts, ends}. */
    private static long[][] rowRanges(BlockSeriesIndex index, boolean[] selected) {
        List<long[]> ranges = new ArrayList<>();
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
        return new long[][] {ranges.stream().mapToLong(r -> r[0]).toArray(), ranges.stream().mapToLong(r -> r[1]).toArray()};
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

    @Override
    boolean readRow() {
        series = ParquetFiles.readInt(seriesColumn);
        timeNanos = ParquetFiles.readLong(timeColumn);
        boolean wanted = (selected == null || (series < selected.length && selected[series])) && range.containsNanos(timeNanos);
        if (idColumn != null) {
            if (wanted) {
                id = ParquetFiles.readString(idColumn);
            } else {
                skipRow(idColumn);
            }
        }
        if (wanted && (rowFilter == null || rowFilter.accept(series, timeNanos, id))) {
            readPayload();
            return true;
        }
        skipRow(payloadColumns);
        return false;
    }

    @Override
    void startRowGroup(ParquetFiles.Columns c) {
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
}
