package dev.kiln.common.pprof;

import dev.kiln.common.symbols.LongIntHashMap;
import dev.kiln.proto.pprof.Function;
import dev.kiln.proto.pprof.Label;
import dev.kiln.proto.pprof.Line;
import dev.kiln.proto.pprof.Location;
import dev.kiln.proto.pprof.Mapping;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.pprof.Sample;
import dev.kiln.proto.pprof.ValueType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a pprof profile, deduplicating strings, functions (by name) and locations (by function
 * and line). Two ways to add samples:
 * <ul>
 *   <li>{@link #add(List, long[], Map)}: stacks of function names, root first, merged by stack and
 *       labels — how text formats (folded, lines, speedscope) become pprof before they are pushed
 *       like any other profile;</li>
 *   <li>{@link #function}, {@link #location} and {@link #addSample}: for converters that already
 *       aggregate samples by their own ids (JFR) and only need the pprof tables built.</li>
 * </ul>
 */
public final class ProfileBuilder {
    private final Profile.Builder p = Profile.newBuilder();
    private final Map<String, Long> strings = new HashMap<>();
    private final Map<String, Long> functions = new HashMap<>();
    /** Location ids (minus one) keyed by function id in the high half and line in the low half. */
    private final LongIntHashMap locations = new LongIntHashMap(256);
    private final Map<List<Object>, Integer> samples = new HashMap<>();
    private long mappingId;

    public ProfileBuilder() {
        str("");
    }

    public ProfileBuilder sampleType(String type, String unit) {
        p.addSampleType(ValueType.newBuilder().setType(str(type)).setUnit(str(unit)));
        return this;
    }

    public ProfileBuilder periodType(String type, String unit) {
        p.setPeriodType(ValueType.newBuilder().setType(str(type)).setUnit(str(unit)));
        return this;
    }

    public ProfileBuilder period(long period) {
        p.setPeriod(period);
        return this;
    }

    public ProfileBuilder timeNanos(long t) {
        p.setTimeNanos(t);
        return this;
    }

    public ProfileBuilder durationNanos(long d) {
        p.setDurationNanos(d);
        return this;
    }

    /**
     * Adds mapping 1 with {@code has_functions} and makes every location added afterwards refer to
     * it, as Pyroscope's JFR conversion does for symbolized Java frames.
     */
    public ProfileBuilder symbolizedMapping() {
        if (p.getLocationCount() > 0) {
            throw new IllegalStateException("the mapping must be declared before the first location");
        }
        mappingId = 1;
        p.addMapping(Mapping.newBuilder().setId(mappingId).setHasFunctions(true));
        return this;
    }

    /**
     * Adds {@code values} (one per sample type) for a stack given root first. Samples with the
     * same stack and labels are merged.
     */
    public ProfileBuilder add(List<String> rootFirst, long[] values, Map<String, String> labels) {
        List<Object> key = List.of(rootFirst, labels);
        Integer existing = samples.get(key);
        if (existing != null) {
            Sample.Builder s = p.getSampleBuilder(existing);
            for (int i = 0; i < values.length; i++) {
                s.setValue(i, s.getValue(i) + values[i]);
            }
            return this;
        }
        Sample.Builder s = Sample.newBuilder();
        for (int i = rootFirst.size() - 1; i >= 0; i--) {
            s.addLocationId(location(function(rootFirst.get(i)), 0));
        }
        for (long v : values) {
            s.addValue(v);
        }
        labels.forEach((k, v) -> s.addLabel(Label.newBuilder().setKey(str(k)).setStr(str(v))));
        samples.put(key, p.getSampleCount());
        p.addSample(s);
        return this;
    }

    public ProfileBuilder add(List<String> rootFirst, long value) {
        return add(rootFirst, new long[] {value}, Map.of());
    }

    /**
     * Adds one sample as given, without merging it with earlier ones.
     *
     * @param leafFirstLocationIds ids from {@link #location}
     * @param values               one per sample type
     * @param labelPairs           alternating label names and string values
     */
    public ProfileBuilder addSample(long[] leafFirstLocationIds, long[] values, String[] labelPairs) {
        Sample.Builder s = Sample.newBuilder();
        for (long id : leafFirstLocationIds) {
            s.addLocationId(id);
        }
        for (long v : values) {
            s.addValue(v);
        }
        for (int i = 0; i < labelPairs.length; i += 2) {
            s.addLabel(Label.newBuilder().setKey(str(labelPairs[i])).setStr(str(labelPairs[i + 1])));
        }
        p.addSample(s);
        return this;
    }

    public int sampleCount() {
        return p.getSampleCount();
    }

    /** The id of the function named {@code name}, added on first use. */
    public long function(String name) {
        Long id = functions.get(name);
        if (id == null) {
            id = p.getFunctionCount() + 1L;
            long nameIndex = str(name);
            p.addFunction(Function.newBuilder().setId(id).setName(nameIndex).setSystemName(nameIndex));
            functions.put(name, id);
        }
        return id;
    }

    /** The id of the location of {@code functionId} (from {@link #function}) at {@code line}, added on first use. */
    public long location(long functionId, int line) {
        long key = functionId << 32 | (line & 0xFFFF_FFFFL);
        int index = locations.get(key);
        if (index == LongIntHashMap.ABSENT) {
            index = p.getLocationCount();
            p.addLocation(Location.newBuilder()
                    .setId(index + 1L)
                    .setMappingId(mappingId)
                    .addLine(Line.newBuilder().setFunctionId(functionId).setLine(line)));
            locations.put(key, index);
        }
        return index + 1L;
    }

    public long str(String s) {
        Long id = strings.get(s);
        if (id == null) {
            id = (long) p.getStringTableCount();
            p.addStringTable(s);
            strings.put(s, id);
        }
        return id;
    }

    public Profile build() {
        return p.build();
    }
}
