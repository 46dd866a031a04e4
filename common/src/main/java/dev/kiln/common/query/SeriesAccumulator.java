package dev.kiln.common.query;

import dev.kiln.common.memory.QueryMemoryBudget;
import dev.kiln.common.model.Labels;
import dev.kiln.proto.query.v1.RawSeries;
import dev.kiln.proto.query.v1.SeriesResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Time series being built by a query: per group (the values of the group-by labels), per bucket,
 * the sum of profile totals and the number of profiles. Buckets follow Pyroscope: points at
 * {@code start + k*step}, a profile at {@code t} counted on the first point {@code >= t}, i.e. in
 * {@code (point - step, point]}. Thread-safe.
 */
public final class SeriesAccumulator {
    private final long startMs;
    private final long stepMs;
    private final List<String> groupBy;
    private final Map<Labels, TreeMap<Long, double[]>> groups = new HashMap<>();
    private QueryMemoryBudget.Reservation memory;

    public SeriesAccumulator(long startMs, long stepMs, List<String> groupBy) {
        if (stepMs <= 0) {
            throw new IllegalArgumentException("step must be positive");
        }
        this.startMs = startMs;
        this.stepMs = stepMs;
        this.groupBy = groupBy;
    }

    public Labels groupOf(Labels series) {
        return groupBy.isEmpty() ? Labels.EMPTY : series.keepOnly(groupBy);
    }

    public long bucketOf(long tsNanos) {
        long ms = Math.floorDiv(tsNanos, 1_000_000L);
        return startMs + Math.max(0, Math.ceilDiv(ms - startMs, stepMs)) * stepMs;
    }

    /**
     * Whether every window {@code (end - windowMs, end]} with {@code end} a multiple of
     * {@code windowMs} falls into a single bucket: when the step is a multiple of the window and
     * the points are aligned to it. Profiles summed over such a window may then be added at once.
     */
    public boolean bucketsAlignWith(long windowMs) {
        return stepMs % windowMs == 0 && Math.floorMod(startMs, windowMs) == 0;
    }

    /** Counts these series' memory against a query's reservation from now on (a point or group past the budget throws). */
    public synchronized void track(QueryMemoryBudget.Reservation reservation) {
        memory = reservation;
        for (TreeMap<Long, double[]> points : groups.values()) {
            memory.grow(BYTES_PER_GROUP + points.size() * BYTES_PER_POINT);
        }
    }

    /** A group's map and labels; a point's tree entry, boxed timestamp and sum/count pair. */
    private static final long BYTES_PER_GROUP = 256;
    private static final long BYTES_PER_POINT = 96;

    public synchronized void add(Labels group, long bucket, double sum, long count) {
        TreeMap<Long, double[]> points = groups.get(group);
        if (points == null) {
            grow(BYTES_PER_GROUP);
            points = new TreeMap<>();
            groups.put(group, points);
        }
        double[] v = points.get(bucket);
        if (v == null) {
            grow(BYTES_PER_POINT);
            v = new double[2];
            points.put(bucket, v);
        }
        v[0] += sum;
        v[1] += count;
    }

    private void grow(long bytes) {
        if (memory != null) {
            memory.grow(bytes);
        }
    }

    public synchronized void merge(SeriesResult result) {
        for (RawSeries s : result.getSeriesList()) {
            Labels g = Labels.fromPairs(s.getLabelsList());
            for (int i = 0; i < s.getTimestampsCount(); i++) {
                add(g, s.getTimestamps(i), s.getSums(i), s.getCounts(i));
            }
        }
    }

    public synchronized SeriesResult toProto() {
        SeriesResult.Builder out = SeriesResult.newBuilder();
        List<Labels> keys = new ArrayList<>(groups.keySet());
        keys.sort(null);
        for (Labels g : keys) {
            RawSeries.Builder s = RawSeries.newBuilder().addAllLabels(g.toPairs());
            for (Map.Entry<Long, double[]> e : groups.get(g).entrySet()) {
                s.addTimestamps(e.getKey()).addSums(e.getValue()[0]).addCounts((long) e.getValue()[1]);
            }
            out.addSeries(s);
        }
        return out.build();
    }
}
