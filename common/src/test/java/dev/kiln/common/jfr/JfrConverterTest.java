package dev.kiln.common.jfr;

import dev.kiln.proto.jfr.Context;
import dev.kiln.proto.jfr.LabelsSnapshot;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.pprof.Sample;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.kiln.common.jfr.JdkFlightRecorderConversionTest.assertWellFormed;
import static dev.kiln.common.jfr.JdkFlightRecorderConversionTest.functionName;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Conversion of hand-written chunks: both integer encodings, several chunks, labels, changed layouts. */
class JfrConverterTest {
    private static final long START = 1_700_000_000_000_000_000L;

    @ParameterizedTest(name = "compressed integers: {0}")
    @ValueSource(booleans = {true, false})
    void convertsExecutionSamplesInEitherIntegerEncoding(boolean compressed) {
        SyntheticJfr jfr = new SyntheticJfr(compressed);
        List<JfrProfile> profiles = JfrConverter.convert(jfr.standardChunk(START, "20 ms"), null);

        assertEquals(1, profiles.size());
        JfrProfile cpu = profiles.get(0);
        assertEquals(JfrProfileKind.CPU, cpu.kind());
        assertEquals(Map.of("__name__", "process_cpu", "jfr_event", "cpu"), cpu.seriesLabels());
        Profile profile = cpu.profile();
        assertWellFormed(profile);
        assertEquals(START, profile.getTimeNanos());
        assertEquals(1_000_000_000L, profile.getDurationNanos());
        assertEquals(20_000_000L, profile.getPeriod());
        assertEquals(1, profile.getSampleCount());
        Sample sample = profile.getSample(0);
        assertEquals(List.of(60_000_000L), sample.getValueList());
        assertEquals(List.of("demo/App.leaf", "demo/App.main"), stack(profile, sample));
        assertEquals(42, profile.getLocation((int) sample.getLocationId(0) - 1).getLine(0).getLine());
        assertEquals(10, profile.getLocation((int) sample.getLocationId(1) - 1).getLine(0).getLine());
    }

    @Test
    void mergesSamplesAcrossChunksEachWithItsOwnPeriod() {
        SyntheticJfr jfr = new SyntheticJfr(true);
        ByteArrayOutputStream recording = new ByteArrayOutputStream();
        recording.writeBytes(jfr.standardChunk(START, "20 ms"));
        recording.writeBytes(jfr.standardChunk(START + 1_000_000_000L, "10 ms"));

        Profile profile = JfrConverter.convert(recording.toByteArray(), null).get(0).profile();

        assertEquals(1, profile.getSampleCount());
        assertEquals(List.of(3 * 20_000_000L + 3 * 10_000_000L), profile.getSample(0).getValueList());
        assertEquals(2, profile.getLocationCount());
        assertEquals(START, profile.getTimeNanos());
        assertEquals(2_000_000_000L, profile.getDurationNanos());
    }

    @Test
    void fallsBackToTheDefaultPeriodWithoutSettings() {
        SyntheticJfr jfr = new SyntheticJfr(true);
        byte[] chunk = jfr.chunk(START, jfr.metadata(SyntheticJfr.standardTypes()),
                List.of(jfr.executionSample(7, 0)), jfr.standardCheckpoint());

        Profile profile = JfrConverter.convert(chunk, null).get(0).profile();

        assertEquals(JfrConverter.DEFAULT_PERIOD_NANOS, profile.getPeriod());
        assertEquals(List.of(JfrConverter.DEFAULT_PERIOD_NANOS), profile.getSample(0).getValueList());
    }

    @Test
    void contextLabelsBecomeSampleLabelsAndEqualLabelSetsMerge() {
        SyntheticJfr jfr = new SyntheticJfr(true);
        byte[] chunk = jfr.chunk(START, jfr.metadata(SyntheticJfr.standardTypes()),
                List.of(jfr.executionSample(7, 5), jfr.executionSample(7, 6), jfr.executionSample(7, 8),
                        jfr.executionSample(7, 0)),
                jfr.standardCheckpoint());
        Context api = Context.newBuilder().putLabels(1, 2).build();
        LabelsSnapshot snapshot = LabelsSnapshot.newBuilder()
                .putContexts(5, api)
                .putContexts(6, api)
                .putContexts(8, Context.newBuilder().putLabels(1, 3).build())
                .putStrings(1, "endpoint").putStrings(2, "/api").putStrings(3, "/admin")
                .build();

        Profile profile = JfrConverter.convert(chunk, snapshot).get(0).profile();

        Map<String, Long> byLabel = new java.util.TreeMap<>();
        for (Sample sample : profile.getSampleList()) {
            String label = sample.getLabelCount() == 0 ? "" : profile.getStringTable((int) sample.getLabel(0).getKey())
                    + "=" + profile.getStringTable((int) sample.getLabel(0).getStr());
            byLabel.merge(label, sample.getValue(0), Long::sum);
        }
        long period = JfrConverter.DEFAULT_PERIOD_NANOS;
        assertEquals(Map.of("", period, "endpoint=/api", 2 * period, "endpoint=/admin", period), byLabel);
        assertEquals(3, profile.getSampleCount());
    }

    @Test
    void readsEventLayoutsFromTheMetadataIncludingUnknownFields() {
        SyntheticJfr jfr = new SyntheticJfr(true);
        List<SyntheticJfr.ClassDef> types = new ArrayList<>(SyntheticJfr.standardTypes());
        // A producer that adds a struct field and a string before the stack trace, and renames the state field.
        types.add(new SyntheticJfr.ClassDef(30, "vendor.Extra", List.of(SyntheticJfr.FieldDef.of("note", SyntheticJfr.STRING),
                SyntheticJfr.FieldDef.of("weight", SyntheticJfr.LONG))));
        types.replaceAll(c -> c.id() != SyntheticJfr.EXECUTION_SAMPLE ? c : new SyntheticJfr.ClassDef(c.id(), c.name(),
                List.of(SyntheticJfr.FieldDef.of("startTime", SyntheticJfr.LONG),
                        SyntheticJfr.FieldDef.of("extra", 30),
                        new SyntheticJfr.FieldDef("tags", SyntheticJfr.STRING, false, true),
                        SyntheticJfr.FieldDef.pool("stackTrace", SyntheticJfr.STACK_TRACE),
                        SyntheticJfr.FieldDef.pool("threadState", SyntheticJfr.THREAD_STATE))));
        byte[] sample = jfr.event(SyntheticJfr.EXECUTION_SAMPLE, jfr.body().integer(0)
                .string("note").integer(99)
                .int32(2).string("a").string("b")
                .integer(7).integer(1));
        byte[] chunk = jfr.chunk(START, jfr.metadata(types), List.of(sample, sample), jfr.standardCheckpoint());

        Profile profile = JfrConverter.convert(chunk, null).get(0).profile();

        assertEquals(List.of(2 * JfrConverter.DEFAULT_PERIOD_NANOS), profile.getSample(0).getValueList());
        assertEquals(List.of("demo/App.leaf", "demo/App.main"), stack(profile, profile.getSample(0)));
    }

    @Test
    void mergesGeneratedClassAndLibraryNamesLikePyroscope() {
        assertEquals("com/example/Service$$Lambda_", FrameNames.merge("com/example/Service$$Lambda.0x00007ffa600c4da0"));
        assertEquals("com/example/Service$$Lambda_", FrameNames.merge("com/example/Service$$Lambda$669/0x0000000800fd7318"));
        assertEquals("jdk/internal/reflect/GeneratedMethodAccessor_",
                FrameNames.merge("jdk/internal/reflect/GeneratedMethodAccessor31"));
        assertEquals("com/example/Repo$$EnhancerBySpringCGLIB$$_",
                FrameNames.merge("com/example/Repo$$EnhancerBySpringCGLIB$$4f1c2a"));
        assertEquals("libzstd-jni-_.so", FrameNames.merge("/tmp/libzstd-jni-1.5.1-16931311898282279136.so"));
        assertEquals("libasyncProfiler-_.so",
                FrameNames.merge("/tmp/libasyncProfiler-linux-x64-17b9a1d8156277a98ccc871afa9a8f69215f92.so (deleted)"));
        assertEquals("com/example/Outer$Inner", FrameNames.merge("com/example/Outer$Inner"));
        assertEquals("java/lang/Thread.run", FrameNames.functionName("java/lang/Thread", "run"));
    }

    @Test
    void parsesJdkAndAsyncProfilerPeriods() {
        assertEquals(20_000_000L, ChunkDecoder.parsePeriod("20 ms"));
        assertEquals(1_000_000_000L, ChunkDecoder.parsePeriod("1 s"));
        assertEquals(10_000_000L, ChunkDecoder.parsePeriod("10000000"));
        assertEquals(500_000L, ChunkDecoder.parsePeriod("500 us"));
        assertEquals(0, ChunkDecoder.parsePeriod("everyChunk"));
    }

    private static List<String> stack(Profile profile, Sample sample) {
        List<String> names = new ArrayList<>();
        sample.getLocationIdList().forEach(id -> names.add(functionName(profile, id)));
        return names;
    }
}
