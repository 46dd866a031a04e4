package dev.kiln.common.block;

import dev.kiln.common.block.ParquetFiles.Columns;
import dev.kiln.common.model.Labels;
import dev.kiln.common.selector.LabelMatcher;
import dev.kiln.common.selector.Selector;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.column.ColumnReader;

/**
 * A block's series index in memory: labels, profile row ranges and time spans per series, plus
 * postings (label name → value → series) for equality matchers. Immutable, so shared by all queries.
 */
final class BlockSeriesIndex {
    final Labels[] labels;
    final long[] firstRow;
    final int[] profileCount;
    final long[] minNanos;
    final long[] maxNanos;
    private final Map<String, Map<String, int[]>> postings;

    private BlockSeriesIndex(Labels[] labels, long[] firstRow, int[] profileCount, long[] minNanos, long[] maxNanos) {
        this.labels = labels;
        this.firstRow = firstRow;
        this.profileCount = profileCount;
        this.minNanos = minNanos;
        this.maxNanos = maxNanos;
        Map<String, Map<String, List<Integer>>> lists = new HashMap<>();
        for (int i = 0; i < labels.length; i++) {
            for (int k = 0; k < labels[i].size(); k++) {
                lists.computeIfAbsent(labels[i].name(k), n -> new HashMap<>())
                        .computeIfAbsent(labels[i].value(k), v -> new ArrayList<>()).add(i);
            }
        }
        Map<String, Map<String, int[]>> p = new HashMap<>();
        lists.forEach((name, values) -> {
            Map<String, int[]> m = new HashMap<>();
            values.forEach((value, refs) -> m.put(value, refs.stream().mapToInt(Integer::intValue).toArray()));
            p.put(name, m);
        });
        this.postings = p;
    }

    int size() {
        return labels.length;
    }

    /** Series matching {@code selector}, in ascending order. */
    int[] select(Selector selector) {
        int[] candidates = null;
        for (LabelMatcher m : selector.matchers()) {
            if (m.op() != LabelMatcher.Op.EQ || m.matchesEmpty()) {
                continue; // checked on the labels below
            }
            int[] refs = postings.getOrDefault(m.name(), Map.of()).get(m.value());
            if (refs == null) {
                return new int[0];
            }
            candidates = candidates == null ? refs : intersect(candidates, refs);
        }
        int n = candidates == null ? labels.length : candidates.length;
        int[] out = new int[n];
        int size = 0;
        for (int i = 0; i < n; i++) {
            int s = candidates == null ? i : candidates[i];
            if (selector.matches(labels[s])) {
                out[size++] = s;
            }
        }
        return Arrays.copyOf(out, size);
    }

    /** Series matching any of the selectors (all series when there are none), ascending. */
    int[] selectAny(List<Selector> selectors) {
        if (selectors.isEmpty()) {
            return select(Selector.ALL);
        }
        boolean[] hit = new boolean[labels.length];
        for (Selector s : selectors) {
            for (int i : select(s)) {
                hit[i] = true;
            }
        }
        int[] out = new int[labels.length];
        int size = 0;
        for (int i = 0; i < hit.length; i++) {
            if (hit[i]) {
                out[size++] = i;
            }
        }
        return Arrays.copyOf(out, size);
    }

    private static int[] intersect(int[] a, int[] b) {
        int[] out = new int[Math.min(a.length, b.length)];
        int i = 0;
        int j = 0;
        int n = 0;
        while (i < a.length && j < b.length) {
            if (a[i] < b[j]) {
                i++;
            } else if (a[i] > b[j]) {
                j++;
            } else {
                out[n++] = a[i];
                i++;
                j++;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * Reads series.parquet and checks it against itself: series indexes dense and in order, series
     * in block order, fingerprints matching the labels.
     */
    static BlockSeriesIndex read(BlockInputFile file, long expectedSeries) throws IOException {
        int n = Math.toIntExact(expectedSeries);
        Labels[] labels = new Labels[n];
        long[] firstRow = new long[n];
        int[] count = new int[n];
        long[] min = new long[n];
        long[] max = new long[n];
        int[] next = {0};
        ParquetFiles.readTable(file, BlockLayout.SERIES_SCHEMA, (Columns c, long rows) -> {
            ColumnReader index = c.get("series_index");
            ColumnReader fingerprint = c.get("fingerprint");
            ColumnReader keys = c.get("labels.key_value.key");
            ColumnReader values = c.get("labels.key_value.value");
            ColumnReader first = c.get("first_row");
            ColumnReader profiles = c.get("profile_count");
            ColumnReader minTime = c.get("min_time_nanos");
            ColumnReader maxTime = c.get("max_time_nanos");
            for (long r = 0; r < rows; r++) {
                int i = next[0]++;
                if (i >= n || ParquetFiles.readInt(index) != i) {
                    throw new IOException("series rows are not numbered 0.." + (n - 1) + " as meta.json's numSeries says");
                }
                long fp = ParquetFiles.readLong(fingerprint);
                Labels.Builder b = Labels.builder();
                int maxDef = keys.getDescriptor().getMaxDefinitionLevel();
                do {
                    if (keys.getCurrentDefinitionLevel() == maxDef) {
                        b.set(keys.getBinary().toStringUsingUTF8(), values.getBinary().toStringUsingUTF8());
                    }
                    keys.consume();
                    values.consume();
                } while (keys.getCurrentRepetitionLevel() != 0);
                labels[i] = b.build();
                if (labels[i].fingerprint() != fp) {
                    throw new IOException("series " + i + " " + labels[i] + " does not match its stored fingerprint");
                }
                if (i > 0 && BlockLayout.SERIES_ORDER.compare(labels[i - 1], labels[i]) >= 0) {
                    throw new IOException("series " + i + " is out of block order");
                }
                firstRow[i] = ParquetFiles.readLong(first);
                count[i] = ParquetFiles.readInt(profiles);
                min[i] = ParquetFiles.readLong(minTime);
                max[i] = ParquetFiles.readLong(maxTime);
            }
        });
        if (next[0] != n) {
            throw new IOException("holds " + next[0] + " series, meta.json says " + n);
        }
        return new BlockSeriesIndex(labels, firstRow, count, min, max);
    }
}
