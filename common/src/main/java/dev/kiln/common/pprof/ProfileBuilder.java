package dev.kiln.common.pprof;

import dev.kiln.proto.pprof.Function;
import dev.kiln.proto.pprof.Label;
import dev.kiln.proto.pprof.Line;
import dev.kiln.proto.pprof.Location;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.pprof.Sample;
import dev.kiln.proto.pprof.ValueType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a pprof profile from stacks of function names (root first), deduplicating strings,
 * functions and locations: how text formats (folded, lines, speedscope) become pprof before they
 * are pushed like any other profile.
 */
public final class ProfileBuilder {
    private final Profile.Builder p = Profile.newBuilder();
    private final Map<String, Long> strings = new HashMap<>();
    private final Map<String, Long> locations = new HashMap<>();
    private final Map<List<Object>, Integer> samples = new HashMap<>();

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
            s.addLocationId(location(rootFirst.get(i)));
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

    public int sampleCount() {
        return p.getSampleCount();
    }

    private long location(String fn) {
        Long id = locations.get(fn);
        if (id != null) {
            return id;
        }
        long fid = p.getFunctionCount() + 1;
        long name = str(fn);
        p.addFunction(Function.newBuilder().setId(fid).setName(name).setSystemName(name));
        long lid = p.getLocationCount() + 1;
        p.addLocation(Location.newBuilder().setId(lid).addLine(Line.newBuilder().setFunctionId(fid)));
        locations.put(fn, lid);
        return lid;
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
