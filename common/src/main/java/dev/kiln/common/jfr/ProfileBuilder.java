package dev.kiln.common.jfr;

import dev.kiln.proto.pprof.Function;
import dev.kiln.proto.pprof.Label;
import dev.kiln.proto.pprof.Line;
import dev.kiln.proto.pprof.Location;
import dev.kiln.proto.pprof.Mapping;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.pprof.Sample;
import dev.kiln.proto.pprof.ValueType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Accumulates the samples of one {@link JfrProfileKind} across all chunks of a recording.
 * Functions are keyed by name and locations by (function, line), so equal frames from different
 * chunks share ids; samples with the same stack and label set are merged by summing values.
 */
final class ProfileBuilder {
    /** Marks a chunk stack id whose stack trace is not in the pool; such events are dropped. */
    private static final int NO_STACK = Integer.MAX_VALUE - 1;

    private final JfrProfileKind kind;
    private final SampleLabels labels;

    private final Map<String, Integer> functionIds = new HashMap<>();
    private final List<String> functionNames = new ArrayList<>();
    private final LongIntMap locationIds = new LongIntMap();
    private final List<long[]> locations = new ArrayList<>();
    private final Map<StackKey, Integer> stackIds = new HashMap<>();
    private final List<long[]> stacks = new ArrayList<>();

    private final LongIntMap sampleIndex = new LongIntMap();
    private int[] sampleStack = new int[64];
    private int[] sampleLabelSet = new int[64];
    /** Two values per sample; kinds with one sample type leave the second at 0. */
    private long[] values = new long[128];
    private int sampleCount;
    private long period;

    private ChunkFunctions chunk;
    private final LongIntMap chunkStacks = new LongIntMap();

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

    ProfileBuilder(JfrProfileKind kind, SampleLabels labels) {
        this.kind = kind;
        this.labels = labels;
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
        if (stack == LongIntMap.MISSING) {
            stack = internStack(chunkStackId);
            chunkStacks.put(chunkStackId, stack);
        }
        if (stack == NO_STACK) {
            return;
        }
        long key = (long) stack << 32 | labelSet;
        int sample = sampleIndex.get(key);
        if (sample == LongIntMap.MISSING) {
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
        if (stack == LongIntMap.MISSING) {
            return NO_STACK;
        }
        int first = pools.stackFrameStart(stack);
        int count = pools.stackFrameCount(stack);
        long[] ids = new long[count];
        int kept = 0;
        for (int i = first; i < first + count; i++) {
            String function = chunk.name(pools.frameMethod(i));
            if (function != null) {
                ids[kept++] = locationId(functionId(function), pools.frameLine(i));
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

    private int functionId(String name) {
        Integer id = functionIds.get(name);
        if (id == null) {
            functionNames.add(name);
            id = functionNames.size();
            functionIds.put(name, id);
        }
        return id;
    }

    private long locationId(int functionId, int line) {
        long key = (long) functionId << 32 | line;
        int index = locationIds.get(key);
        if (index == LongIntMap.MISSING) {
            index = locations.size();
            locations.add(new long[] {functionId, line});
            locationIds.put(key, index);
        }
        return index + 1L;
    }

    Profile build(long timeNanos, long durationNanos) {
        StringTable strings = new StringTable();
        Profile.Builder profile = Profile.newBuilder()
                .setTimeNanos(timeNanos)
                .setDurationNanos(durationNanos);
        for (ValueTypes.ValueType type : kind.sampleTypes()) {
            profile.addSampleType(ValueType.newBuilder()
                    .setType(strings.index(type.type()))
                    .setUnit(strings.index(type.unit())));
        }
        if (kind.periodType() != null) {
            profile.setPeriodType(ValueType.newBuilder()
                    .setType(strings.index(kind.periodType()))
                    .setUnit(strings.index(kind.periodUnit())));
        }
        if (kind == JfrProfileKind.CPU || kind == JfrProfileKind.WALL) {
            profile.setPeriod(period);
        }
        profile.addMapping(Mapping.newBuilder().setId(1).setHasFunctions(true));
        for (int i = 0; i < functionNames.size(); i++) {
            profile.addFunction(Function.newBuilder()
                    .setId(i + 1)
                    .setName(strings.index(functionNames.get(i))));
        }
        for (int i = 0; i < locations.size(); i++) {
            long[] location = locations.get(i);
            profile.addLocation(Location.newBuilder()
                    .setId(i + 1)
                    .setMappingId(1)
                    .addLine(Line.newBuilder().setFunctionId(location[0]).setLine(location[1])));
        }
        int valueCount = kind.sampleTypes().size();
        for (int s = 0; s < sampleCount; s++) {
            Sample.Builder sample = Sample.newBuilder();
            for (long id : stacks.get(sampleStack[s])) {
                sample.addLocationId(id);
            }
            for (int v = 0; v < valueCount; v++) {
                sample.addValue(values[2 * s + v]);
            }
            String[] pairs = labels.pairs(sampleLabelSet[s]);
            for (int p = 0; p < pairs.length; p += 2) {
                sample.addLabel(Label.newBuilder()
                        .setKey(strings.index(pairs[p]))
                        .setStr(strings.index(pairs[p + 1])));
            }
            profile.addSample(sample);
        }
        return profile.addAllStringTable(strings.values).build();
    }

    /** pprof string table; index 0 is the empty string. */
    private static final class StringTable {
        private final Map<String, Integer> indexes = new HashMap<>();
        private final List<String> values = new ArrayList<>();

        StringTable() {
            index("");
        }

        long index(String s) {
            return indexes.computeIfAbsent(s, k -> {
                values.add(k);
                return values.size() - 1;
            });
        }
    }
}
