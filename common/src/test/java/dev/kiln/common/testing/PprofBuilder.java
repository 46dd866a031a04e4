package dev.kiln.common.testing;

import dev.kiln.proto.pprof.Function;
import dev.kiln.proto.pprof.Label;
import dev.kiln.proto.pprof.Line;
import dev.kiln.proto.pprof.Location;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.pprof.Sample;
import dev.kiln.proto.pprof.ValueType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Builds pprof profiles with known stacks for tests: stacks are given root first. */
public final class PprofBuilder {
    private final Profile.Builder p = Profile.newBuilder();
    private final Map<String, Long> strings = new HashMap<>();
    private final Map<String, Long> functions = new HashMap<>();
    private final Map<String, Long> locations = new HashMap<>();
    private final Map<String, String> nextLabels = new LinkedHashMap<>();

    public PprofBuilder() {
        str("");
    }

    public static PprofBuilder cpu() {
        return new PprofBuilder().sampleType("cpu", "nanoseconds").periodType("cpu", "nanoseconds").period(10_000_000);
    }

    public PprofBuilder sampleType(String type, String unit) {
        p.addSampleType(ValueType.newBuilder().setType(str(type)).setUnit(str(unit)));
        return this;
    }

    public PprofBuilder periodType(String type, String unit) {
        p.setPeriodType(ValueType.newBuilder().setType(str(type)).setUnit(str(unit)));
        return this;
    }

    public PprofBuilder period(long period) {
        p.setPeriod(period);
        return this;
    }

    public PprofBuilder timeNanos(long t) {
        p.setTimeNanos(t);
        return this;
    }

    public PprofBuilder durationNanos(long d) {
        p.setDurationNanos(d);
        return this;
    }

    /** Labels for the next {@link #stack} call only. */
    public PprofBuilder labels(String... kv) {
        for (int i = 0; i < kv.length; i += 2) {
            nextLabels.put(kv[i], kv[i + 1]);
        }
        return this;
    }

    /** Adds a sample; {@code rootFirst} frames are function names, outermost first. */
    public PprofBuilder stack(long value, String... rootFirst) {
        return stack(new long[] {value}, rootFirst);
    }

    public PprofBuilder stack(long[] values, String... rootFirst) {
        Sample.Builder s = Sample.newBuilder();
        for (int i = rootFirst.length - 1; i >= 0; i--) {
            s.addLocationId(location(rootFirst[i]));
        }
        for (long v : values) {
            s.addValue(v);
        }
        nextLabels.forEach((k, v) -> s.addLabel(Label.newBuilder().setKey(str(k)).setStr(str(v))));
        nextLabels.clear();
        p.addSample(s);
        return this;
    }

    private long location(String fn) {
        return locations.computeIfAbsent(fn, f -> {
            long id = p.getLocationCount() + 1;
            p.addLocation(Location.newBuilder().setId(id).addLine(Line.newBuilder().setFunctionId(function(f)).setLine(1)));
            return id;
        });
    }

    private long function(String name) {
        return functions.computeIfAbsent(name, n -> {
            long id = p.getFunctionCount() + 1;
            p.addFunction(Function.newBuilder().setId(id).setName(str(n)).setSystemName(str(n)).setFilename(str(n.replace('.', '/') + ".go")));
            return id;
        });
    }

    public long str(String s) {
        return strings.computeIfAbsent(s, k -> {
            p.addStringTable(k);
            return (long) p.getStringTableCount() - 1;
        });
    }

    public Profile build() {
        return p.build();
    }

    public byte[] bytes() {
        return build().toByteArray();
    }

    public byte[] gzipped() {
        return gzip(bytes());
    }

    public static byte[] gzip(byte[] data) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }
}
