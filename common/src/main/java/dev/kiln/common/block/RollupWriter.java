package dev.kiln.common.block;

import dev.kiln.common.block.ParquetFiles.Fields;
import dev.kiln.common.model.Labels;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.io.api.RecordConsumer;

/**
 * Writes a block's rollup files ({@link BlockLayout#rollupFile}, one per window length) from the
 * profiles streaming through {@link BlockWriter}. Profiles arrive series by series, each series in
 * time order, so each window length has one open window at a time: when it closes, its row is
 * written to the length's file, summed into the enclosing window of the next length, and summed
 * into the service's window. A service's series are adjacent, so its rows follow its last series.
 * Memory holds one open window per length and the current service's windows, never the block.
 */
final class RollupWriter implements Closeable {
    private final Level[] levels;
    private int series = -1;
    /** The current service: its first series' labels and index, and how many series it has so far. */
    private Labels service;
    private int serviceFirst;
    private int serviceSeries;

    /** The open window of one length and the file its rows go to. */
    private final class Level {
        final long windowMs;
        final Level longer;
        final String relPath;
        final ParquetWriter<Row> out;
        final StackSums sums = new StackSums();
        /** The current service's windows with profiles, by end. */
        final TreeMap<Long, Window> serviceWindows = new TreeMap<>();
        boolean open;
        long windowEndMs;
        int profiles;
        long total;

        Level(long windowMs, Level longer, Path dir, BlockWriterConfig config) throws IOException {
            this.windowMs = windowMs;
            this.longer = longer;
            this.relPath = BlockLayout.rollupFile(windowMs);
            this.out = ParquetFiles.newWriter(dir.resolve(relPath), BlockLayout.ROLLUP_SCHEMA, RollupWriter::writeRow, config);
        }

        /** Adds samples at {@code timeMs} (a profile's time, or the end of a shorter window inside this one's). */
        void add(long timeMs, int[] stacks, long[] values, int n, long total, int profiles) throws IOException {
            long end = BlockLayout.rollupWindowEnd(timeMs, windowMs);
            if (open && end != windowEndMs) {
                close();
                // Every window between the series' first and last profile has a row, so readers can compute positions.
                for (long e = windowEndMs + windowMs; e < end; e += windowMs) {
                    out.write(Row.empty(series, 1, windowMs, e));
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
            Row r = new Row(series, 1, windowMs, windowEndMs, profiles, total, new int[n], new long[n]);
            sums.drainInto(r.stacks, r.values);
            out.write(r);
            serviceWindows.computeIfAbsent(windowEndMs, e -> new Window()).add(r);
            if (longer != null) {
                longer.add(windowEndMs, r.stacks, r.values, n, r.total, r.profiles);
            }
            open = false;
            profiles = 0;
            total = 0;
        }

        /** Writes the rows of series {@code [first, first + count)} as a whole, from their first window with profiles to their last. */
        void writeService(int first, int count) throws IOException {
            for (long e = serviceWindows.firstKey(); e <= serviceWindows.lastKey(); e += windowMs) {
                Window w = serviceWindows.get(e);
                if (w == null) {
                    out.write(Row.empty(first, count, windowMs, e));
                } else {
                    int n = w.sums.size();
                    Row r = new Row(first, count, windowMs, e, w.profiles, w.total, new int[n], new long[n]);
                    w.sums.drainInto(r.stacks, r.values);
                    out.write(r);
                }
            }
        }
    }

    /** Sums over several series' rows of one window. */
    private static final class Window {
        final StackSums sums = new StackSums();
        int profiles;
        long total;

        void add(Row r) {
            sums.add(r.stacks, r.values, r.stacks.length);
            profiles += r.profiles;
            total += r.total;
        }
    }

    /** One row: the profiles of series {@code [series, series + seriesCount)} summed over one window. */
    private record Row(int series, int seriesCount, long windowMs, long windowEndMs, int profiles, long total, int[] stacks,
            long[] values) {
        static Row empty(int series, int seriesCount, long windowMs, long windowEndMs) {
            return new Row(series, seriesCount, windowMs, windowEndMs, 0, 0, new int[0], new long[0]);
        }
    }

    /** @param windowsMs ascending window lengths, each dividing the next */
    RollupWriter(Path blockDir, List<Long> windowsMs, BlockWriterConfig config) throws IOException {
        levels = new Level[windowsMs.size()];
        Files.createDirectories(blockDir.resolve(BlockLayout.rollupFile(windowsMs.get(0))).getParent());
        for (int k = windowsMs.size() - 1; k >= 0; k--) {
            levels[k] = new Level(windowsMs.get(k), k + 1 < levels.length ? levels[k + 1] : null, blockDir, config);
        }
    }

    /**
     * Starts series {@code seriesIndex}, which has profiles; series come in block order, each
     * ended with {@link #endSeries()}.
     */
    void startSeries(int seriesIndex, Labels labels) throws IOException {
        if (series >= 0) {
            throw new IllegalStateException("rollup series " + series + " is not ended");
        }
        if (service != null && !BlockLayout.sameService(service, labels)) {
            endService();
        }
        if (service == null) {
            service = labels;
            serviceFirst = seriesIndex;
        }
        serviceSeries++;
        series = seriesIndex;
    }

    /** Adds a profile of the current series: samples {@code [0, n)} of the arrays. Profiles come in time order. */
    void addProfile(long timeNanos, int[] stacks, long[] values, int n, long total) throws IOException {
        levels[0].add(Math.floorDiv(timeNanos, 1_000_000L), stacks, values, n, total, 1);
    }

    /** Closes the series' open windows, shortest first (each feeds the next). */
    void endSeries() throws IOException {
        for (Level l : levels) {
            if (l.open) {
                l.close();
            }
        }
        series = -1;
    }

    /** Writes the current service's rows when it has several series (one series' rows already are the service's). */
    private void endService() throws IOException {
        for (Level l : levels) {
            if (serviceSeries > 1) {
                l.writeService(serviceFirst, serviceSeries);
            }
            l.serviceWindows.clear();
        }
        service = null;
        serviceSeries = 0;
    }

    /** Completes the files; returns their footers by path relative to the block, shortest windows first. */
    Map<String, ParquetMetadata> finish() throws IOException {
        if (series >= 0) {
            throw new IllegalStateException("rollup series " + series + " is not ended");
        }
        if (service != null) {
            endService();
        }
        Map<String, ParquetMetadata> footers = new LinkedHashMap<>();
        for (Level l : levels) {
            l.out.close();
            footers.put(l.relPath, l.out.getFooter());
        }
        return footers;
    }

    private static void writeRow(RecordConsumer c, Row r) {
        Fields.int32(c, "series_index", 0, r.series);
        Fields.int32(c, "series_count", 1, r.seriesCount);
        Fields.int64(c, "window_ms", 2, r.windowMs);
        Fields.int64(c, "window_end_ms", 3, r.windowEndMs);
        Fields.int32(c, "profile_count", 4, r.profiles);
        Fields.int64(c, "total_value", 5, r.total);
        Fields.samples(c, 6, r.stacks, r.values, null, r.stacks.length);
    }

    /** Abandons the files (the block is not finished); the caller deletes the directory. */
    @Override
    public void close() throws IOException {
        for (Level l : levels) {
            l.out.close();
        }
    }
}
