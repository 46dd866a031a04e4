package dev.kiln.ingester.head;

import dev.kiln.common.model.Labels;
import java.util.Arrays;

/**
 * One series in a head block and its profiles, as parallel append-only columns. A single writer
 * appends; readers read {@link #count()} first (volatile) and then the columns, which are then at
 * least as new as that count.
 */
final class HeadSeries {
    final int ref;
    final Labels labels;

    long[] timeNanos = new long[8];
    String[] ids = new String[8];
    int[][] stacks = new int[8][];
    long[][] values = new long[8][];
    /** Per-sample span ids, null for profiles without spans. */
    long[][] spans = new long[8][];
    long[] totals = new long[8];
    private volatile int count;

    HeadSeries(int ref, Labels labels) {
        this.ref = ref;
        this.labels = labels;
    }

    int count() {
        return count;
    }

    /** Appends one profile; returns the heap bytes it added. */
    long append(long tsNanos, String id, int[] stackIds, long[] vals, long[] spanIds, long total) {
        int i = count;
        if (i == timeNanos.length) {
            int n = i * 2;
            timeNanos = Arrays.copyOf(timeNanos, n);
            ids = Arrays.copyOf(ids, n);
            stacks = Arrays.copyOf(stacks, n);
            values = Arrays.copyOf(values, n);
            spans = Arrays.copyOf(spans, n);
            totals = Arrays.copyOf(totals, n);
        }
        timeNanos[i] = tsNanos;
        ids[i] = id;
        stacks[i] = stackIds;
        values[i] = vals;
        spans[i] = spanIds;
        totals[i] = total;
        count = i + 1;
        return 64L + stackIds.length * 12L + (spanIds == null ? 0 : spanIds.length * 8L) + id.length() * 2L;
    }
}
