package dev.kiln.common.jfr;

import dev.kiln.common.pprof.ProfileBuilder;
import dev.kiln.common.symbols.LongIntHashMap;
import dev.kiln.proto.pprof.Profile;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Accumulates the samples of one {@link JfrProfileKind} across all chunks of a recording.
 * Functions and locations go straight into a {@link ProfileBuilder} (by name, and by function and
 * line), so equal frames from different chunks share ids. Samples are merged here, by stack and
 * label set with primitive keys, since one recording holds millions of events but few distinct
 * samples; the builder only receives the merged ones.
 */
final class ProfileAccumulator {
    /** Marks a chunk stack id whose stack trace is not in the pool; such events are dropped. */
    private static final int NO_STACK = Integer.MAX_VALUE - 1;

    private final JfrProfileKind kind;
    private final SampleLabels labels;
    private final ProfileBuilder pprof = new ProfileBuilder().symbolizedMapping();

    private final Map<StackKey, Integer> stackIds = new HashMap<>();
    private final List<long[]> stacks = new ArrayList<>();

    private final LongIntHashMap sampleIndex = new LongIntHashMap(16);
    private int[] sampleStack = new int[64];
    private int[] sampleLabelSet = new int[64];
    /** Two values per sample; kinds with one sample type leave the second at 0. */
    private long[] values = new long[128];
    private int sampleCount;
    private long period;

    private ChunkFunctions chunk;
    private final LongIntHashMap chunkStacks = new LongIntHashMap(16);

    private record StackKey(long[] locationIds) {
        @Override
        public boolean equals(Object o) {
            return o instanceof StackKey other && Arrays.equals(locationIds, other.locationIds);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(locationIds);
        }
    }

    ProfileAccumulator(JfrProfileKind kind, SampleLabels labels) {
        this.kind = kind;
        this.labels = labels;
        for (ValueTypes.ValueType type : kind.sampleTypes()) {
            pprof.sampleType(type.type(), type.unit());
        }
        if (kind.periodType() != null) {
            pprof.periodType(kind.periodType(), kind.periodUnit());
        }
    }

    /** Switches to a new chunk, whose stack and method ids mean something else than the last one's. */
    void beginChunk(ChunkFunctions functions) {
        chunk = functions;
        chunkStacks.clear();
    }

    /** Records the sampling period (ns) the cpu and wall profiles report. */
    void period(long nanos) {
        period = nanos;
    }

    boolean isEmpty() {
        return sampleCount == 0;
    }

    /**
     * Adds one event. Negative values (only hostile input produces them) count as zero and sums
     * saturate, so a profile's values stay non-negative.
     */
    void add(long chunkStackId, int labelSet, long value0, long value1) {
        int stack = chunkStacks.get(chunkStackId);
        if (stack == LongIntHashMap.ABSENT) {
            stack = internStack(chunkStackId);
            chunkStacks.put(chunkStackId, stack);
        }
        if (stack == NO_STACK) {
            return;
        }
        long key = (long) stack << 32 | labelSet;
        int sample = sampleIndex.get(key);
        if (sample == LongIntHashMap.ABSENT) {
            sample = newSample(stack, labelSet);
            sampleIndex.put(key, sample);
        }
        values[2 * sample] = saturatedAdd(values[2 * sample], value0);
        values[2 * sample + 1] = saturatedAdd(values[2 * sample + 1], value1);
    }

    private static long saturatedAdd(long sum, long value) {
        long result = sum + Math.max(0, value);
        return result < 0 ? Long.MAX_VALUE : result;
    }

    private int newSample(int stack, int labelSet) {
        if (sampleCount == sampleStack.length) {
            sampleStack = Arrays.copyOf(sampleStack, sampleCount * 2);
            sampleLabelSet = Arrays.copyOf(sampleLabelSet, sampleCount * 2);
            values = Arrays.copyOf(values, sampleCount * 4);
        }
        sampleStack[sampleCount] = stack;
        sampleLabelSet[sampleCount] = labelSet;
        return sampleCount++;
    }

    /** Turns a chunk stack trace into pprof location ids, leaf first as JFR already orders frames. */
    private int internStack(long chunkStackId) {
        ConstantPools pools = chunk.pools();
        int stack = pools.stack(chunkStackId);
        if (stack == LongIntHashMap.ABSENT) {
            return NO_STACK;
        }
        int first = pools.stackFrameStart(stack);
        int count = pools.stackFrameCount(stack);
        long[] ids = new long[count];
        int kept = 0;
        for (int i = first; i < first + count; i++) {
            String function = chunk.name(pools.frameMethod(i));
            if (function != null) {
                ids[kept++] = pprof.location(pprof.function(function), pools.frameLine(i));
            }
        }
        if (kept != count) {
            ids = Arrays.copyOf(ids, kept);
        }
        Integer existing = stackIds.putIfAbsent(new StackKey(ids), stacks.size());
        if (existing != null) {
            return existing;
        }
        stacks.add(ids);
        return stacks.size() - 1;
    }

    /** The profile; call once, after the last chunk. */
    Profile build(long timeNanos, long durationNanos) {
        pprof.timeNanos(timeNanos).durationNanos(durationNanos);
        if (kind == JfrProfileKind.CPU || kind == JfrProfileKind.WALL) {
            pprof.period(period);
        }
        long[] sampleValues = new long[kind.sampleTypes().size()];
        for (int s = 0; s < sampleCount; s++) {
            System.arraycopy(values, 2 * s, sampleValues, 0, sampleValues.length);
            pprof.addSample(stacks.get(sampleStack[s]), sampleValues, labels.pairs(sampleLabelSet[s]));
        }
        return pprof.build();
    }
}
