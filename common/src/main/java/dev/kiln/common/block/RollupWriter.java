package dev.kiln.common.block;

import dev.kiln.common.block.ParquetFiles.Fields;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.io.api.RecordConsumer;

/**
 * Writes a block's rollup.parquet ({@link BlockLayout#ROLLUP_SCHEMA}) from the profiles streaming
 * through {@link BlockWriter}. Profiles arrive series by series, each series in time order, so
 * each window length has one open window at a time. A closed window is summed into the enclosing
 * window of the next length and written: at once for the shortest length, whose rows come first
 * in the series' part of the file, at the end of the series for the longer ones. Memory holds
 * the current series' open and longer windows, never the block.
 */
final class RollupWriter implements Closeable {
    private final ParquetWriter<Row> out;
    private final Level[] levels;
    private int series = -1;

    /** One row: a series' profiles summed over one window. */
    private record Row(int series, long windowMs, long windowEndMs, int profiles, long total, int[] stacks, long[] values) {}

    /** The open window of one length, and the closed ones waiting for the end of the series. */
    private final class Level {
        final long windowMs;
        final Level longer;
        final List<Row> waiting = new ArrayList<>();
        final StackSums sums = new StackSums();
        boolean open;
        long windowEndMs;
        int profiles;
        long total;

        Level(long windowMs, Level longer) {
            this.windowMs = windowMs;
            this.longer = longer;
        }

        /** Adds samples at {@code timeMs} (a profile's time, or the end of a shorter window inside this one's). */
        void add(long timeMs, int[] stacks, long[] values, int n, long total, int profiles) throws IOException {
            long end = BlockLayout.rollupWindowEnd(timeMs, windowMs);
            if (open && end != windowEndMs) {
                close();
                // Every window between the series' first and last profile has a row, so readers can compute positions.
                for (long e = windowEndMs + windowMs; e < end; e += windowMs) {
                    emit(new Row(series, windowMs, e, 0, 0, new int[0], new long[0]));
                }
            }
            open = true;
            windowEndMs = end;
            sums.add(stacks, values, n);
            this.total += total;
            this.profiles += profiles;
        }

        void close() throws IOException {
            int n = sums.size();
            Row r = new Row(series, windowMs, windowEndMs, profiles, total, new int[n], new long[n]);
            sums.drainInto(r.stacks, r.values);
            emit(r);
            if (longer != null) {
                longer.add(windowEndMs, r.stacks, r.values, n, r.total, r.profiles);
            }
            open = false;
            profiles = 0;
            total = 0;
        }

        void emit(Row r) throws IOException {
            if (this == levels[0]) {
                out.write(r);
            } else {
                waiting.add(r);
            }
        }
    }

    /** @param windowsMs ascending window lengths, each dividing the next */
    RollupWriter(Path file, List<Long> windowsMs, BlockWriterConfig config) throws IOException {
        levels = new Level[windowsMs.size()];
        for (int k = windowsMs.size() - 1; k >= 0; k--) {
            levels[k] = new Level(windowsMs.get(k), k + 1 < levels.length ? levels[k + 1] : null);
        }
        out = ParquetFiles.newWriter(file, BlockLayout.ROLLUP_SCHEMA, RollupWriter::writeRow, config);
    }

    /**
     * Adds a profile of series {@code seriesIndex}: samples {@code [0, n)} of the arrays. Series
     * come in ascending order, each ended with {@link #endSeries()}, and a series' profiles in time order.
     */
    void addProfile(int seriesIndex, long timeNanos, int[] stacks, long[] values, int n, long total) throws IOException {
        if (series >= 0 && seriesIndex != series) {
            throw new IllegalStateException("rollup series " + series + " is not ended");
        }
        series = seriesIndex;
        levels[0].add(Math.floorDiv(timeNanos, 1_000_000L), stacks, values, n, total, 1);
    }

    /** Closes the series' windows and writes their rows. */
    void endSeries() throws IOException {
        for (Level l : levels) {
            if (l.open) {
                l.close();
            }
        }
        for (Level l : levels) {
            for (Row r : l.waiting) {
                out.write(r);
            }
            l.waiting.clear();
        }
        series = -1;
    }

    /** Completes the file and returns its footer. */
    ParquetMetadata finish() throws IOException {
        if (series >= 0) {
            throw new IllegalStateException("rollup series " + series + " is not ended");
        }
        out.close();
        return out.getFooter();
    }

    private static void writeRow(RecordConsumer c, Row r) {
        Fields.int32(c, "series_index", 0, r.series);
        Fields.int64(c, "window_ms", 1, r.windowMs);
        Fields.int64(c, "window_end_ms", 2, r.windowEndMs);
        Fields.int32(c, "profile_count", 3, r.profiles);
        Fields.int64(c, "total_value", 4, r.total);
        Fields.samples(c, 5, r.stacks, r.values, null, r.stacks.length);
    }

    /** Abandons the file (the block is not finished); the caller deletes the directory. */
    @Override
    public void close() throws IOException {
        out.close();
    }
}
