package dev.kiln.ingester.head;

import dev.kiln.common.model.Labels;
import dev.kiln.common.selector.LabelMatcher;
import dev.kiln.common.selector.Selector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The series of a head block with an inverted index (label name → value → series refs) so that
 * selectors touch only candidate series. New series are rare next to new profiles, so postings are
 * copy-on-write arrays: readers never lock.
 */
final class SeriesIndex {
    private final Map<Labels, HeadSeries> byLabels = new HashMap<>();
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, int[]>> postings = new ConcurrentHashMap<>();
    private volatile HeadSeries[] series = new HeadSeries[64];
    private volatile int count;

    /** Writer only. */
    HeadSeries getOrCreate(Labels labels) {
        HeadSeries s = byLabels.get(labels);
        if (s != null) {
            return s;
        }
        int ref = count;
        s = new HeadSeries(ref, labels);
        HeadSeries[] arr = series;
        if (ref == arr.length) {
            arr = Arrays.copyOf(arr, ref * 2);
        }
        arr[ref] = s;
        series = arr;
        byLabels.put(labels, s);
        for (int i = 0; i < labels.size(); i++) {
            postings.computeIfAbsent(labels.name(i), k -> new ConcurrentHashMap<>())
                    .merge(labels.value(i), new int[] {ref}, SeriesIndex::append);
        }
        count = ref + 1;
        return s;
    }

    private static int[] append(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Writer only (callers hold the block's write lock). */
    boolean contains(Labels labels) {
        return byLabels.containsKey(labels);
    }

    int size() {
        return count;
    }

    HeadSeries get(int ref) {
        return series[ref];
    }

    /** Series matching the selector. */
    List<HeadSeries> select(Selector selector) {
        int n = count;
        HeadSeries[] arr = series;
        BitSet candidates = null;
        for (LabelMatcher m : selector.matchers()) {
            if (m.matchesEmpty()) {
                continue; // series without the label match too: postings cannot narrow
            }
            BitSet bits = new BitSet(n);
            Map<String, int[]> values = postings.get(m.name());
            if (values != null) {
                if (m.op() == LabelMatcher.Op.EQ) {
                    int[] refs = values.get(m.value());
                    if (refs != null) {
                        for (int r : refs) {
                            bits.set(r);
                        }
                    }
                } else {
                    for (Map.Entry<String, int[]> e : values.entrySet()) {
                        if (m.matches(e.getKey())) {
                            for (int r : e.getValue()) {
                                bits.set(r);
                            }
                        }
                    }
                }
            }
            if (candidates == null) {
                candidates = bits;
            } else {
                candidates.and(bits);
            }
            if (candidates.isEmpty()) {
                return List.of();
            }
        }
        List<HeadSeries> out = new ArrayList<>();
        if (candidates == null) {
            for (int i = 0; i < n; i++) {
                if (selector.matches(arr[i].labels)) {
                    out.add(arr[i]);
                }
            }
        } else {
            for (int i = candidates.nextSetBit(0); i >= 0 && i < n; i = candidates.nextSetBit(i + 1)) {
                if (selector.matches(arr[i].labels)) {
                    out.add(arr[i]);
                }
            }
        }
        return out;
    }
}
