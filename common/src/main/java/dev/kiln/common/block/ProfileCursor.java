package dev.kiln.common.block;

import dev.kiln.common.block.ParquetFiles.Ints;
import dev.kiln.common.block.ParquetFiles.Longs;
import dev.kiln.common.query.TimeRange;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.filter2.predicate.FilterApi;
import org.apache.parquet.filter2.predicate.FilterPredicate;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Reads the profiles of selected series in a time range from profiles.parquet, one row at a time,
 * fetching only the requested columns. Row groups are skipped by their series-index and time
 * statistics, pages by the column indexes; rows of the surviving pages are checked exactly. The
 * current row's fields are valid until the next call to {@link #next()}.
 */
final class ProfileCursor implements Closeable {
    /** Which optional columns to read. */
    enum Column { ID, TOTAL, SAMPLES, SPANS }

    private final ParquetFileReader reader;
    private final MessageType projection;
    private final String createdBy;
    private final boolean[] selected;
    private final TimeRange range;
    private final Set<Column> columns;
    private long rowsLeft;
    private ColumnReader seriesColumn;
    private ColumnReader timeColumn;
    private ColumnReader idColumn;
    private ColumnReader totalColumn;
    private ColumnReader stackColumn;
    private ColumnReader valueColumn;
    private ColumnReader spanColumn;

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
     * @param selected per series index, whether to return its profiles; null for all series
     */
    ProfileCursor(ParquetFiles.Footer footer, boolean[] selected, TimeRange range, Set<Column> columns) throws IOException {
        this.selected = selected;
        this.range = range;
        this.columns = columns;
        this.projection = projection(columns);
        this.reader = footer.open(filter(selected, range));
        this.reader.setRequestedSchema(projection);
        this.createdBy = reader.getFileMetaData().getCreatedBy();
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

    /** Statistics and column-index predicate: the selected series and the time range, in nanoseconds. */
    private static FilterCompat.Filter filter(boolean[] selected, TimeRange range) {
        FilterPredicate p = null;
        if (selected != null) {
            Set<Integer> ids = new HashSet<>();
            for (int i = 0; i < selected.length; i++) {
                if (selected[i]) {
                    ids.add(i);
                }
            }
            p = FilterApi.in(FilterApi.intColumn("series_index"), ids);
        }
        if (range.startMs() != Long.MIN_VALUE) {
            p = and(p, FilterApi.gtEq(FilterApi.longColumn("time_nanos"), saturatedNanos(range.startMs(), 0)));
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
                PageReadStore pages = reader.readNextFilteredRowGroup();
                if (pages == null) {
                    return false;
                }
                startRowGroup(pages);
            }
            rowsLeft--;
            series = ParquetFiles.readInt(seriesColumn);
            timeNanos = ParquetFiles.readLong(timeColumn);
            if ((selected == null || (series < selected.length && selected[series])) && range.containsNanos(timeNanos)) {
                readRest();
                return true;
            }
            skipRest();
        }
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
    }

    private void readRest() {
        if (idColumn != null) {
            id = ParquetFiles.readString(idColumn);
        }
        if (totalColumn != null) {
            total = ParquetFiles.readLong(totalColumn);
        }
        if (stackColumn != null) {
            ParquetFiles.readList(stackColumn, stacks);
            ParquetFiles.readList(valueColumn, values, 0);
        }
        hasSpans = spanColumn != null && ParquetFiles.readList(spanColumn, spans, 0);
    }

    private void skipRest() {
        for (ColumnReader r : new ColumnReader[] {idColumn, totalColumn, stackColumn, valueColumn, spanColumn}) {
            if (r != null) {
                ParquetFiles.skipRow(r);
            }
        }
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
