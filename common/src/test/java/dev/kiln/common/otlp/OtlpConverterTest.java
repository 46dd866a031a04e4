package dev.kiln.common.otlp;

import static dev.kiln.common.otlp.DictionaryBuilder.keyValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.proto.pprof.Function;
import dev.kiln.proto.pprof.Label;
import dev.kiln.proto.pprof.Line;
import dev.kiln.proto.pprof.Location;
import dev.kiln.proto.pprof.Mapping;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.profiles.v1development.Profile;
import io.opentelemetry.proto.profiles.v1development.ResourceProfiles;
import io.opentelemetry.proto.profiles.v1development.Sample;
import io.opentelemetry.proto.profiles.v1development.ScopeProfiles;
import io.opentelemetry.proto.resource.v1.Resource;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

class OtlpConverterTest {

    static final long TIME = 1_760_000_000_000_000_000L;
    static final long DURATION = 5_000_000_000L;
    static final Instant NOW = Instant.parse("2026-01-02T03:04:05.000000006Z");

    final OtlpConverter converter = new OtlpConverter(OtlpReceiverConfig.defaults(), InstantSource.fixed(NOW));

    @Test
    void cpuProfileBecomesProcessCpuNanosecondsWithPyroscopeLabels() {
        DictionaryBuilder d = new DictionaryBuilder();
        int libc = d.mapping("/usr/lib/libc.so.6", 0x7f00_0000_0000L, 0x7f00_0020_0000L,
                d.attribute("process.executable.build_id.gnu", "b1d0"));
        int memmove = d.location(libc, 0x7f00_0000_1234L, d.function("memmove", "memmove.S"), 42);
        int app = d.mapping("/srv/app", 0x40_0000L, 0x80_0000L);
        int work = d.location(app, 0x40_1000L, d.function("main.work", "main.go"), 17);
        int main = d.location(app, 0x40_2000L, d.function("main.main", "main.go"), 5);
        Profile cpu = Profile.newBuilder()
                .setSampleType(d.valueType("samples", "count"))
                .setPeriodType(d.valueType("cpu", "nanoseconds"))
                .setPeriod(10_000_000)
                .setTimeUnixNano(TIME)
                .setDurationNano(DURATION)
                .addSamples(Sample.newBuilder().setStackIndex(d.stack(memmove, work, main)).addValues(3))
                .addSamples(Sample.newBuilder().setStackIndex(d.stack(main)).addValues(2))
                .build();
        Resource resource = Resource.newBuilder()
                .addAttributes(keyValue("service.name", "checkout"))
                .addAttributes(keyValue("host.name", "node-1"))
                .addAttributes(keyValue("process.pid", AnyValue.newBuilder().setIntValue(4242).build()))
                .addAttributes(keyValue("container.privileged", AnyValue.newBuilder().setBoolValue(false).build()))
                .addAttributes(keyValue("sampling.ratio", AnyValue.newBuilder().setDoubleValue(0.5).build()))
                .addAttributes(keyValue("cpu.count", AnyValue.newBuilder().setDoubleValue(8.0).build()))
                .build();
        InstrumentationScope scope = InstrumentationScope.newBuilder()
                .setName("ebpf-profiler")
                .addAttributes(keyValue("profiler.version", "0.3.0"))
                .build();

        List<OtlpProfile> converted = converter.convert(request(d, resource(resource, scope(scope, cpu))));

        assertEquals(1, converted.size());
        OtlpProfile profile = converted.getFirst();
        Map<String, String> expectedLabels = new LinkedHashMap<>();
        expectedLabels.put("__delta__", "false");
        expectedLabels.put("__otel__", "true");
        expectedLabels.put("__name__", "process_cpu");
        expectedLabels.put("service.name", "checkout");
        expectedLabels.put("host.name", "node-1");
        expectedLabels.put("process.pid", "4242");
        expectedLabels.put("container.privileged", "false");
        expectedLabels.put("sampling.ratio", "0.5");
        expectedLabels.put("cpu.count", "8");
        expectedLabels.put("profiler.version", "0.3.0");
        expectedLabels.put("service_name", "checkout");
        assertEquals(List.copyOf(expectedLabels.entrySet()), List.copyOf(profile.seriesLabels().entrySet()));

        var pprof = profile.pprof();
        assertEquals("cpu:nanoseconds", valueType(pprof, pprof.getSampleType(0)));
        assertEquals(1, pprof.getSampleTypeCount());
        assertEquals("cpu:nanoseconds", valueType(pprof, pprof.getPeriodType()));
        assertEquals(10_000_000, pprof.getPeriod());
        assertEquals(TIME, pprof.getTimeNanos());
        assertEquals(DURATION, pprof.getDurationNanos());
        assertEquals("", pprof.getStringTable(0));
        assertEquals(List.of(30_000_000L), pprof.getSample(0).getValueList());
        assertEquals(List.of(20_000_000L), pprof.getSample(1).getValueList());
        assertEquals(List.of("memmove", "main.work", "main.main"), frames(pprof, pprof.getSample(0)));
        assertEquals(List.of("main.main"), frames(pprof, pprof.getSample(1)));
        // the shared frame is one location in pprof
        assertEquals(pprof.getSample(0).getLocationId(2), pprof.getSample(1).getLocationId(0));
        assertEquals(3, pprof.getLocationCount());

        Location leaf = location(pprof, pprof.getSample(0).getLocationId(0));
        assertEquals(0x7f00_0000_1234L, leaf.getAddress());
        assertEquals(42, leaf.getLine(0).getLine());
        Function memmoveFunction = function(pprof, leaf.getLine(0).getFunctionId());
        assertEquals("memmove.S", pprof.getStringTable((int) memmoveFunction.getFilename()));
        Mapping libcMapping = mapping(pprof, leaf.getMappingId());
        assertEquals("/usr/lib/libc.so.6", pprof.getStringTable((int) libcMapping.getFilename()));
        assertEquals("b1d0", pprof.getStringTable((int) libcMapping.getBuildId()));
        assertEquals(0x7f00_0000_0000L, libcMapping.getMemoryStart());
        assertEquals(0x7f00_0020_0000L, libcMapping.getMemoryLimit());
        assertTrue(libcMapping.getHasFunctions());
        assertTrue(libcMapping.getHasFilenames());
        assertTrue(libcMapping.getHasLineNumbers());
        assertFalse(libcMapping.getHasInlineFrames());
        assertEquals(2, pprof.getMappingCount());
    }

    @Test
    void inlinedFramesStayInOneLocationInnermostFirst() {
        DictionaryBuilder d = new DictionaryBuilder();
        int binary = d.mapping("/bin/server", 0x1000, 0x9000);
        int inlined = d.location(binary, 0x1100,
                d.function("memcpy", "string.h"), 12,
                d.function("printf", "stdio.c"), 300);
        int caller = d.location(binary, 0x2200, d.function("main", "main.c"), 7);
        Profile cpu = cpuProfile(d, Sample.newBuilder().setStackIndex(d.stack(inlined, caller)).addValues(1));

        var pprof = converter.convert(request(d, resource(Resource.getDefaultInstance(), scope(cpu))))
                .getFirst().pprof();

        Location location = location(pprof, pprof.getSample(0).getLocationId(0));
        assertEquals(2, location.getLineCount());
        assertEquals("memcpy", functionName(pprof, location.getLine(0)));
        assertEquals(12, location.getLine(0).getLine());
        assertEquals("printf", functionName(pprof, location.getLine(1)));
        assertEquals(300, location.getLine(1).getLine());
        assertEquals(List.of("memcpy", "printf", "main"), frames(pprof, pprof.getSample(0)));
        assertTrue(mapping(pprof, location.getMappingId()).getHasInlineFrames());
    }

    @Test
    void everyResourceAndScopeAddsItsAttributesAndTheFirstOccurrenceWins() {
        DictionaryBuilder d = new DictionaryBuilder();
        int frame = d.location(0, 0, d.function("f", ""), 0);
        int stack = d.stack(frame);
        Resource named = Resource.newBuilder()
                .addAttributes(keyValue("service.name", "api"))
                .addAttributes(keyValue("env", "prod"))
                .addAttributes(keyValue("env", "ignored-duplicate"))
                .addAttributes(keyValue("__name__", "not-a-profile-name"))
                .build();
        Resource executableOnly = Resource.newBuilder()
                .addAttributes(keyValue("process.executable.name", "nginx"))
                .addAttributes(keyValue("empty.value", ""))
                .build();
        InstrumentationScope overridesEnv = InstrumentationScope.newBuilder()
                .addAttributes(keyValue("env", "scope-env"))
                .addAttributes(keyValue("empty.value", "from-scope"))
                .build();
        Profile one = cpuProfile(d, Sample.newBuilder().setStackIndex(stack).addValues(1));
        Profile two = cpuProfile(d, Sample.newBuilder().setStackIndex(stack).addValues(2));
        Profile three = cpuProfile(d, Sample.newBuilder().setStackIndex(stack).addValues(3));
        Profile four = cpuProfile(d, Sample.newBuilder().setStackIndex(stack).addValues(4));
        ExportProfilesServiceRequest request = request(d,
                resource(named, scope(overridesEnv, one), scope(two)),
                resource(executableOnly, scope(overridesEnv, three)),
                resource(Resource.getDefaultInstance(), scope(four)));

        List<OtlpProfile> converted = converter.convert(request);

        assertEquals(4, converted.size());
        // the resource's env wins over the scope's; the scope adds what the resource lacks
        assertEquals(Map.of("__delta__", "false", "__otel__", "true", "__name__", "process_cpu",
                        "service.name", "api", "env", "prod", "empty.value", "from-scope", "service_name", "api"),
                converted.get(0).seriesLabels());
        assertEquals(Map.of("__delta__", "false", "__otel__", "true", "__name__", "process_cpu",
                "service.name", "api", "env", "prod", "service_name", "api"), converted.get(1).seriesLabels());
        assertEquals(Map.of("__delta__", "false", "__otel__", "true", "__name__", "process_cpu",
                        "process.executable.name", "nginx", "env", "scope-env", "empty.value", "from-scope",
                        "service_name", "unknown_service:nginx"),
                converted.get(2).seriesLabels());
        assertEquals(Map.of("__delta__", "false", "__otel__", "true", "__name__", "process_cpu",
                "service_name", "unknown_service"), converted.get(3).seriesLabels());
        assertEquals(List.of(10_000_000L, 20_000_000L, 30_000_000L, 40_000_000L),
                converted.stream().map(p -> p.pprof().getSample(0).getValue(0)).toList());
    }

    @Test
    void sampleAttributesBecomeSampleLabelsAndSampleServiceNameSplitsProfiles() {
        DictionaryBuilder d = new DictionaryBuilder();
        int stack = d.stack(d.location(0, 0, d.function("handle", "h.go"), 1));
        int threadA = d.attribute("thread.name", "worker-1");
        int threadB = d.attribute("thread.name", "worker-2");
        int cpuId = d.attribute("cpu.id", AnyValue.newBuilder().setIntValue(3).build());
        int emptyValue = d.attribute("empty", "");
        int otherService = d.attribute("service.name", "billing");
        Profile cpu = cpuProfile(d,
                Sample.newBuilder().setStackIndex(stack).addValues(1).addAttributeIndices(threadA).addAttributeIndices(cpuId),
                Sample.newBuilder().setStackIndex(stack).addValues(2).addAttributeIndices(threadB).addAttributeIndices(emptyValue),
                Sample.newBuilder().setStackIndex(stack).addValues(4).addAttributeIndices(otherService).addAttributeIndices(threadA));
        Resource resource = Resource.newBuilder().addAttributes(keyValue("service.name", "shop")).build();

        List<OtlpProfile> converted = converter.convert(request(d, resource(resource, scope(cpu))));

        assertEquals(2, converted.size());
        OtlpProfile shop = converted.get(0);
        assertEquals("shop", shop.seriesLabels().get("service_name"));
        assertEquals(List.of(Map.of("thread.name", "worker-1", "cpu.id", "3"), Map.of("thread.name", "worker-2")),
                shop.pprof().getSampleList().stream().map(s -> labels(shop.pprof(), s.getLabelList())).toList());
        OtlpProfile billing = converted.get(1);
        assertEquals("billing", billing.seriesLabels().get("service_name"));
        // the resource attribute is kept as sent; only service_name follows the sample
        assertEquals("shop", billing.seriesLabels().get("service.name"));
        assertEquals(1, billing.pprof().getSampleCount());
        assertEquals(List.of(40_000_000L), billing.pprof().getSample(0).getValueList());
        assertEquals(Map.of("thread.name", "worker-1"),
                labels(billing.pprof(), billing.pprof().getSample(0).getLabelList()));
        assertEquals(List.of("handle"), frames(billing.pprof(), billing.pprof().getSample(0)));
    }

    @Test
    void linksBecomeSpanAndTraceIdSampleLabels() {
        DictionaryBuilder d = new DictionaryBuilder();
        int stack = d.stack(d.location(0, 0, d.function("traced", "t.go"), 1));
        byte[] traceId = HexFormat.of().parseHex("0af7651916cd43dd8448eb211c80319c");
        byte[] spanId = HexFormat.of().parseHex("b7ad6b7169203331");
        int link = d.link(traceId, spanId);
        int spanOnly = d.link(new byte[0], HexFormat.of().parseHex("00000000000000ff"));
        Profile cpu = cpuProfile(d,
                Sample.newBuilder().setStackIndex(stack).addValues(1).setLinkIndex(link),
                Sample.newBuilder().setStackIndex(stack).addValues(1).setLinkIndex(spanOnly),
                Sample.newBuilder().setStackIndex(stack).addValues(1));

        var pprof = converter.convert(request(d, resource(Resource.getDefaultInstance(), scope(cpu))))
                .getFirst().pprof();

        assertEquals(Map.of("span_id", "b7ad6b7169203331", "trace_id", "0af7651916cd43dd8448eb211c80319c"),
                labels(pprof, pprof.getSample(0).getLabelList()));
        assertEquals(Map.of("span_id", "00000000000000ff"), labels(pprof, pprof.getSample(1).getLabelList()));
        assertEquals(Map.of(), labels(pprof, pprof.getSample(2).getLabelList()));
    }

    @Test
    void offCpuProfileSumsObservationsAndIsNamedOffCpu() {
        DictionaryBuilder d = new DictionaryBuilder();
        int stack = d.stack(d.location(0, 0, d.function("futex_wait", ""), 0));
        Profile offCpu = Profile.newBuilder()
                .setSampleType(d.valueType("off_cpu", "nanoseconds"))
                .setTimeUnixNano(TIME)
                .addSamples(Sample.newBuilder().setStackIndex(stack)
                        .addValues(1_500).addValues(2_500)
                        .addTimestampsUnixNano(TIME + 1).addTimestampsUnixNano(TIME + 2))
                .build();

        OtlpProfile converted = converter.convert(request(d, resource(Resource.getDefaultInstance(), scope(offCpu))))
                .getFirst();

        assertEquals("off_cpu", converted.seriesLabels().get("__name__"));
        var pprof = converted.pprof();
        assertEquals("off_cpu:nanoseconds", valueType(pprof, pprof.getSampleType(0)));
        assertFalse(pprof.hasPeriodType());
        assertEquals(List.of(4_000L), pprof.getSample(0).getValueList());
    }

    @Test
    void memoryProfileWithTwoSampleTypesGivesOnePprofPerSampleTypeNamedByPeriodType() {
        DictionaryBuilder d = new DictionaryBuilder();
        int stack = d.stack(d.location(0, 0, d.function("make", "alloc.go"), 9));
        Profile objects = Profile.newBuilder()
                .setSampleType(d.valueType("alloc_objects", "count"))
                .setPeriodType(d.valueType("space", "bytes"))
                .setPeriod(524_288)
                .setTimeUnixNano(TIME)
                .addSamples(Sample.newBuilder().setStackIndex(stack).addValues(7))
                .build();
        Profile space = objects.toBuilder()
                .setSampleType(d.valueType("alloc_space", "bytes"))
                .setSamples(0, Sample.newBuilder().setStackIndex(stack).addValues(3_670_016))
                .build();

        List<OtlpProfile> converted = converter.convert(
                request(d, resource(Resource.getDefaultInstance(), scope(objects, space))));

        assertEquals(2, converted.size());
        // Pyroscope names profiles it has no rule for after their period type
        assertEquals("space", converted.get(0).seriesLabels().get("__name__"));
        assertEquals("space", converted.get(1).seriesLabels().get("__name__"));
        var objectsPprof = converted.get(0).pprof();
        assertEquals("alloc_objects:count", valueType(objectsPprof, objectsPprof.getSampleType(0)));
        assertEquals("space:bytes", valueType(objectsPprof, objectsPprof.getPeriodType()));
        assertEquals(524_288, objectsPprof.getPeriod());
        assertEquals(List.of(7L), objectsPprof.getSample(0).getValueList());
        var spacePprof = converted.get(1).pprof();
        assertEquals("alloc_space:bytes", valueType(spacePprof, spacePprof.getSampleType(0)));
        assertEquals(List.of(3_670_016L), spacePprof.getSample(0).getValueList());
    }

    @Test
    void profileNamingFollowsPyroscopeAndFallsBackToProcessCpu() {
        assertEquals(new OtlpConverter.ProfileKind("process_cpu", "cpu", "nanoseconds", true),
                OtlpConverter.profileKind("samples", "count", "cpu", "nanoseconds", 1));
        // without a period the cpu conversion does not apply
        assertEquals(new OtlpConverter.ProfileKind("process_cpu", "samples", "count", false),
                OtlpConverter.profileKind("samples", "count", "cpu", "nanoseconds", 0));
        assertEquals(new OtlpConverter.ProfileKind("wall", "samples", "count", false),
                OtlpConverter.profileKind("samples", "count", "wall", "nanoseconds", 10));
        assertEquals(new OtlpConverter.ProfileKind("off_cpu", "off_cpu", "nanoseconds", false),
                OtlpConverter.profileKind("off_cpu", "nanoseconds", null, null, 0));
        assertEquals(new OtlpConverter.ProfileKind("process_cpu", "events", "count", false),
                OtlpConverter.profileKind("events", "count", null, null, 0));
    }

    @Test
    void timestampOnlySamplesCountOneEachAndMissingTimeIsTheReceiptTime() {
        DictionaryBuilder d = new DictionaryBuilder();
        int stack = d.stack(d.location(0, 0, d.function("tick", ""), 0));
        Profile cpu = Profile.newBuilder()
                .setSampleType(d.valueType("samples", "count"))
                .setPeriodType(d.valueType("cpu", "nanoseconds"))
                .setPeriod(50_000_000)
                .addSamples(Sample.newBuilder().setStackIndex(stack)
                        .addTimestampsUnixNano(1).addTimestampsUnixNano(2).addTimestampsUnixNano(3))
                .build();

        var pprof = converter.convert(request(d, resource(Resource.getDefaultInstance(), scope(cpu))))
                .getFirst().pprof();

        assertEquals(List.of(150_000_000L), pprof.getSample(0).getValueList());
        assertEquals(1_767_323_045_000_000_006L, pprof.getTimeNanos());
        assertEquals(0, pprof.getDurationNanos());
    }

    @Test
    void unsymbolizedAndKernelFramesGetReadableNames() {
        DictionaryBuilder d = new DictionaryBuilder();
        int libc = d.mapping("libc.so.6", 0x1000, 0x2000);
        int unsymbolized = d.location(libc, 0x1e0);
        int vmlinux = d.mapping("vmlinux", 0, 0);
        int kernelWithMapping = d.kernelLocation(vmlinux, 0xffff_ffff_8100_0000L);
        int kernelWithoutMapping = d.kernelLocation(0, 0xffff_ffff_8200_0000L);
        int noMapping = d.location(0, 0xabc);
        Profile cpu = cpuProfile(d, Sample.newBuilder()
                .setStackIndex(d.stack(kernelWithMapping, kernelWithoutMapping, unsymbolized, noMapping))
                .addValues(1));

        var pprof = converter.convert(request(d, resource(Resource.getDefaultInstance(), scope(cpu))))
                .getFirst().pprof();

        assertEquals(List.of("[kernel] vmlinux 0xffffffff81000000", "[kernel] 0xffffffff82000000",
                "libc.so.6 0x1e0", "0xabc"), frames(pprof, pprof.getSample(0)));
        Mapping libcMapping = mapping(pprof, location(pprof, pprof.getSample(0).getLocationId(2)).getMappingId());
        assertFalse(libcMapping.getHasFunctions());
        assertFalse(libcMapping.getHasLineNumbers());
        assertEquals(0, location(pprof, pprof.getSample(0).getLocationId(3)).getMappingId());
    }

    static ExportProfilesServiceRequest request(DictionaryBuilder d, ResourceProfiles... resources) {
        return ExportProfilesServiceRequest.newBuilder()
                .setDictionary(d.build())
                .addAllResourceProfiles(List.of(resources))
                .build();
    }

    static ResourceProfiles resource(Resource resource, ScopeProfiles... scopes) {
        return ResourceProfiles.newBuilder().setResource(resource).addAllScopeProfiles(List.of(scopes)).build();
    }

    static ScopeProfiles scope(Profile... profiles) {
        return scope(InstrumentationScope.getDefaultInstance(), profiles);
    }

    static ScopeProfiles scope(InstrumentationScope scope, Profile... profiles) {
        return ScopeProfiles.newBuilder().setScope(scope).addAllProfiles(List.of(profiles)).build();
    }

    /** An eBPF-profiler style CPU profile: sample counts, 10 ms period. */
    static Profile cpuProfile(DictionaryBuilder d, Sample.Builder... samples) {
        Profile.Builder profile = Profile.newBuilder()
                .setSampleType(d.valueType("samples", "count"))
                .setPeriodType(d.valueType("cpu", "nanoseconds"))
                .setPeriod(10_000_000)
                .setTimeUnixNano(TIME)
                .setDurationNano(DURATION);
        for (Sample.Builder sample : samples) {
            profile.addSamples(sample);
        }
        return profile.build();
    }

    static String valueType(dev.kiln.proto.pprof.Profile pprof, dev.kiln.proto.pprof.ValueType type) {
        return pprof.getStringTable((int) type.getType()) + ":" + pprof.getStringTable((int) type.getUnit());
    }

    /** Function names of a sample's frames, leaf first, inlined frames expanded. */
    static List<String> frames(dev.kiln.proto.pprof.Profile pprof, dev.kiln.proto.pprof.Sample sample) {
        List<String> names = new ArrayList<>();
        for (long id : sample.getLocationIdList()) {
            for (Line line : location(pprof, id).getLineList()) {
                names.add(functionName(pprof, line));
            }
        }
        return names;
    }

    static Map<String, String> labels(dev.kiln.proto.pprof.Profile pprof, List<Label> labels) {
        Map<String, String> map = new LinkedHashMap<>();
        for (Label label : labels) {
            map.put(pprof.getStringTable((int) label.getKey()), pprof.getStringTable((int) label.getStr()));
        }
        return map;
    }

    static String functionName(dev.kiln.proto.pprof.Profile pprof, Line line) {
        return pprof.getStringTable((int) function(pprof, line.getFunctionId()).getName());
    }

    static Location location(dev.kiln.proto.pprof.Profile pprof, long id) {
        return byId(pprof.getLocationList(), id, Location::getId);
    }

    static Function function(dev.kiln.proto.pprof.Profile pprof, long id) {
        return byId(pprof.getFunctionList(), id, Function::getId);
    }

    static Mapping mapping(dev.kiln.proto.pprof.Profile pprof, long id) {
        return byId(pprof.getMappingList(), id, Mapping::getId);
    }

    /** pprof ids are 1-based positions in this converter's output; the lookup checks that. */
    static <T> T byId(List<T> entries, long id, ToLongFunction<T> idOf) {
        T entry = entries.get((int) id - 1);
        assertEquals(id, idOf.applyAsLong(entry));
        return entry;
    }
}
