package dev.kiln.ingester.head;

import dev.kiln.common.pprof.PprofData;
import dev.kiln.common.symbols.LongIntHashMap;
import java.util.Arrays;
import java.util.HashMap;
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

    /** Returns null when the part has no positive values. */
    static SampleSet build(DecodedProfile p, DecodedProfile.Part part, int[] stackIds) {
        return p.sampleSpans == null ? withoutSpans(p, part, stackIds) : withSpans(p, part, stackIds);
    }

    private static SampleSet withoutSpans(DecodedProfile p, DecodedProfile.Part part, int[] stackIds) {
        PprofData d = p.pprof;
        int t = part.sampleType();
        int[] members = part.samples();
        int n = members == null ? d.sampleCount : members.length;
        LongIntHashMap slots = new LongIntHashMap(Math.max(16, n));
        int[] stacks = new int[n];
        long[] values = new long[n];
        int size = 0;
        long total = 0;
        for (int i = 0; i < n; i++) {
            int s = members == null ? i : members[i];
            long v = d.values[d.sampleValStart[s] + t];
            if (v <= 0) {
                continue;
            }
            int stack = stackIds[s];
            int slot = slots.get(stack);
            if (slot < 0) {
                slot = size++;
                slots.put(stack, slot);
                stacks[slot] = stack;
            }
            values[slot] += v;
            total += v;
        }
        if (size == 0) {
            return null;
        }
        // Sort by stack id (primitive sort of packed keys): compresses better in blocks.
        long[] keys = new long[size];
        for (int i = 0; i < size; i++) {
            keys[i] = ((long) stacks[i] << 32) | i;
        }
        Arrays.sort(keys);
        int[] outStacks = new int[size];
        long[] outValues = new long[size];
        for (int i = 0; i < size; i++) {
            int slot = (int) keys[i];
            outStacks[i] = stacks[slot];
            outValues[i] = values[slot];
        }
        return new SampleSet(outStacks, outValues, null, total);
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
