package dev.kiln.ingester.head;

import dev.kiln.common.pprof.PprofData;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The samples of one stored series of a profile: (stack id, value[, span id]) with non-positive
 * values dropped and identical stacks (and spans) merged, sorted by stack id.
 */
final class SampleSet {
    final int[] stacks;
    final long[] values;
    final long[] spans;
    final long total;

    private SampleSet(int[] stacks, long[] values, long[] spans, long total) {
        this.stacks = stacks;
        this.values = values;
        this.spans = spans;
        this.total = total;
    }

    private record StackSpan(int stack, long span) {}

    /**
     * The samples of one profile's parts sorted by stack id, as {@code stack << 32 | sample}: the
     * same for every sample type of a member list, so sorted once per list for one append.
     */
    static final class Order {
        private static final Object ALL_SAMPLES = new Object();
        private final int[] stackIds;
        private final IdentityHashMap<Object, long[]> byMembers = new IdentityHashMap<>(4);

        /** @param stackIds per pprof sample, its stack id in the block's symbol table */
        Order(int[] stackIds) {
            this.stackIds = stackIds;
        }

        long[] of(int[] members) {
            Object key = members == null ? ALL_SAMPLES : members;
            long[] sorted = byMembers.get(key);
            if (sorted == null) {
                int n = members == null ? stackIds.length : members.length;
                sorted = new long[n];
                for (int i = 0; i < n; i++) {
                    int s = members == null ? i : members[i];
                    sorted[i] = (long) stackIds[s] << 32 | s;
                }
                Arrays.sort(sorted);
                byMembers.put(key, sorted);
            }
            return sorted;
        }
    }

    /** Returns null when the part has no positive values. */
    static SampleSet build(DecodedProfile p, DecodedProfile.Part part, Order order) {
        return p.sampleSpans == null ? withoutSpans(p, part, order) : withSpans(p, part, order.stackIds);
    }

    private static SampleSet withoutSpans(DecodedProfile p, DecodedProfile.Part part, Order order) {
        PprofData d = p.pprof;
        int t = part.sampleType();
        long[] sorted = order.of(part.samples());
        int[] stacks = new int[sorted.length];
        long[] values = new long[sorted.length];
        int size = 0;
        long total = 0;
        for (long key : sorted) {
            int s = (int) key;
            long v = d.values[d.sampleValStart[s] + t];
            if (v <= 0) {
                continue;
            }
            int stack = (int) (key >>> 32);
            if (size > 0 && stacks[size - 1] == stack) {
                values[size - 1] += v;
            } else {
                stacks[size] = stack;
                values[size++] = v;
            }
            total += v;
        }
        if (size == 0) {
            return null;
        }
        return new SampleSet(size == stacks.length ? stacks : Arrays.copyOf(stacks, size),
                size == values.length ? values : Arrays.copyOf(values, size), null, total);
    }

    private static SampleSet withSpans(DecodedProfile p, DecodedProfile.Part part, int[] stackIds) {
        PprofData d = p.pprof;
        int t = part.sampleType();
        int[] members = part.samples();
        int n = members == null ? d.sampleCount : members.length;
        Map<StackSpan, long[]> merged = new HashMap<>();
        long total = 0;
        for (int i = 0; i < n; i++) {
            int s = members == null ? i : members[i];
            long v = d.values[d.sampleValStart[s] + t];
            if (v <= 0) {
                continue;
            }
            merged.computeIfAbsent(new StackSpan(stackIds[s], p.sampleSpans[s]), k -> new long[1])[0] += v;
            total += v;
        }
        if (merged.isEmpty()) {
            return null;
        }
        StackSpan[] keys = merged.keySet().toArray(new StackSpan[0]);
        Arrays.sort(keys, (a, b) -> a.stack != b.stack ? Integer.compare(a.stack, b.stack) : Long.compare(a.span, b.span));
        int[] stacks = new int[keys.length];
        long[] values = new long[keys.length];
        long[] spans = new long[keys.length];
        for (int i = 0; i < keys.length; i++) {
            stacks[i] = keys[i].stack;
            spans[i] = keys[i].span;
            values[i] = merged.get(keys[i])[0];
        }
        return new SampleSet(stacks, values, spans, total);
    }
}
