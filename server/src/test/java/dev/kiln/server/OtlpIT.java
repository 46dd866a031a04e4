package dev.kiln.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.JsonFormat;
import dev.kiln.common.otlp.DictionaryBuilder;
import dev.kiln.common.testing.FlameGraphAssert;
import dev.kiln.common.testing.PprofBuilder;
import dev.kiln.proto.querier.v1.FlameGraph;
import dev.kiln.proto.querier.v1.SelectMergeSpanProfileRequest;
import dev.kiln.proto.querier.v1.SelectMergeSpanProfileResponse;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesRequest;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesResponse;
import dev.kiln.proto.querier.v1.SeriesRequest;
import dev.kiln.proto.querier.v1.SeriesResponse;
import dev.kiln.proto.types.v1.LabelPair;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest;
import io.opentelemetry.proto.collector.profiles.v1development.ProfilesServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.profiles.v1development.Profile;
import io.opentelemetry.proto.profiles.v1development.ProfilesDictionary;
import io.opentelemetry.proto.profiles.v1development.ResourceProfiles;
import io.opentelemetry.proto.profiles.v1development.Sample;
import io.opentelemetry.proto.profiles.v1development.ScopeProfiles;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OpenTelemetry profiles (issue 5, acceptance 3 and 5): requests built with the opentelemetry-proto
 * classes, sent as an OTel exporter would (gRPC on the HTTP port and on the OTLP port, OTLP/HTTP
 * protobuf, JSON and gzip), come back as the expected flame graph and labels, and their trace links
 * drive span-filtered flame graphs.
 */
class OtlpIT {
    static final String CPU = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final long NOW_MS = System.currentTimeMillis();
    static final byte[] TRACE = HexFormat.of().parseHex("0102030405060708090a0b0c0d0e0f10");
    static final byte[] SPAN_A = HexFormat.of().parseHex("a1a2a3a4a5a6a7a8");
    static final byte[] SPAN_B = HexFormat.of().parseHex("b1b2b3b4b5b6b7b8");

    static Kiln kiln;
    static KilnClient client;

    @BeforeAll
    static void start() throws IOException {
        kiln = KilnClient.startKiln(Files.createTempDirectory("kiln-otlp-it"),
                "-distributor.receivers.otlp.protocols.grpc.endpoint=127.0.0.1:0", "-server.http-max-request-bytes=1MiB");
        client = new KilnClient(kiln.server().httpPort(), NOW_MS);
    }

    @AfterAll
    static void stop() {
        kiln.close();
    }

    /**
     * An eBPF-profiler-style CPU profile: sample counts at 100 Hz (period 10 ms) over stacks
     * main;work;hash x3 (span A), main;work x2 (span B) and main;idle x1 (no link), with resource,
     * scope and sample attributes.
     */
    static ExportProfilesServiceRequest cpuRequest(String service) {
        DictionaryBuilder d = new DictionaryBuilder();
        int main = d.location(0, 0, d.function("main", "main.go"), 1);
        int work = d.location(0, 0, d.function("work", "work.go"), 1);
        int hash = d.location(0, 0, d.function("hash", "hash.go"), 1);
        int idle = d.location(0, 0, d.function("idle", "idle.go"), 1);
        int thread = d.attribute("thread.name", "worker-1");
        Profile profile = Profile.newBuilder()
                .setSampleType(d.valueType("samples", "count"))
                .setPeriodType(d.valueType("cpu", "nanoseconds"))
                .setPeriod(10_000_000)
                .setTimeUnixNano(NOW_MS * 1_000_000L)
                .setDurationNano(10_000_000_000L)
                .setProfileId(ByteString.copyFrom(UUID.randomUUID().toString().getBytes(), 0, 16))
                .addSamples(Sample.newBuilder().setStackIndex(d.stack(hash, work, main)).addValues(3)
                        .addAttributeIndices(thread).setLinkIndex(d.link(TRACE, SPAN_A)))
                .addSamples(Sample.newBuilder().setStackIndex(d.stack(work, main)).addValues(2)
                        .addAttributeIndices(thread).setLinkIndex(d.link(TRACE, SPAN_B)))
                .addSamples(Sample.newBuilder().setStackIndex(d.stack(idle, main)).addValues(1))
                .build();
        Resource resource = Resource.newBuilder()
                .addAttributes(DictionaryBuilder.keyValue("service.name", service))
                .addAttributes(DictionaryBuilder.keyValue("deployment.environment", "it"))
                .addAttributes(KeyValue.newBuilder().setKey("process.pid").setValue(AnyValue.newBuilder().setIntValue(4242)))
                .build();
        return ExportProfilesServiceRequest.newBuilder()
                .setDictionary(d.build())
                .addResourceProfiles(ResourceProfiles.newBuilder().setResource(resource)
                        .addScopeProfiles(ScopeProfiles.newBuilder()
                                .setScope(InstrumentationScope.newBuilder().setName("otel-ebpf-profiler").setVersion("0.3.0")
                                        .addAttributes(DictionaryBuilder.keyValue("profiler.mode", "ebpf")))
                                .addProfiles(profile)))
                .build();
    }

    /** 10 ms per sample. */
    static final Map<String, Long> EXPECTED_SELF = Map.of("main;work;hash", 30_000_000L, "main;work", 20_000_000L,
            "main;idle", 10_000_000L);

    void assertStored(String service) throws Exception {
        assertEquals(EXPECTED_SELF, FlameGraphAssert.selfByPath(client.flameGraph(CPU, KilnClient.sel(service))));
        SeriesResponse series = SeriesResponse.parseFrom(client.connectProto("querier.v1.QuerierService/Series",
                SeriesRequest.newBuilder().addMatchers(KilnClient.sel(service)).setStart(NOW_MS - 60_000).setEnd(NOW_MS + 60_000).build()));
        Set<Map<String, String>> labelSets = new HashSet<>();
        for (var set : series.getLabelsSetList()) {
            Map<String, String> labels = new TreeMap<>();
            for (LabelPair p : set.getLabelsList()) {
                labels.put(p.getName(), p.getValue());
            }
            labelSets.add(labels);
        }
        // Resource and scope attributes are series labels (dots become underscores); service.name is
        // service_name. The sample attribute thread.name is a pprof sample label, which splits the
        // samples that carry it into their own series, as pprof labels do.
        Map<String, String> base = new TreeMap<>(Map.of(
                "__name__", "process_cpu", "__profile_type__", CPU, "__type__", "cpu", "__unit__", "nanoseconds",
                "__period_type__", "cpu", "__period_unit__", "nanoseconds",
                "service_name", service, "deployment_environment", "it", "process_pid", "4242", "profiler_mode", "ebpf"));
        Map<String, String> withThread = new TreeMap<>(base);
        withThread.put("thread.name", "worker-1");
        assertEquals(Set.of(base, withThread), labelSets);
    }

    @Test
    void grpcOnTheHttpPort() throws Exception {
        String service = KilnClient.unique("otlp-grpc-4040");
        export(kiln.server().httpPort(), cpuRequest(service));
        assertStored(service);
    }

    @Test
    void grpcOnTheOtlpPort() throws Exception {
        assertTrue(kiln.otlpGrpcPort() > 0 && kiln.otlpGrpcPort() != kiln.server().httpPort());
        String service = KilnClient.unique("otlp-grpc-4317");
        export(kiln.otlpGrpcPort(), cpuRequest(service));
        assertStored(service);
    }

    static void export(int port, ExportProfilesServiceRequest request) throws InterruptedException {
        ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            ProfilesServiceGrpc.newBlockingStub(ch).withCompression("gzip").export(request);
        } finally {
            ch.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void httpProtobufJsonAndGzip() throws Exception {
        String proto = KilnClient.unique("otlp-http-proto");
        HttpResponse<byte[]> r = postOtlp("application/x-protobuf", null, cpuRequest(proto).toByteArray());
        assertEquals(200, r.statusCode(), new String(r.body()));
        assertEquals("application/x-protobuf", r.headers().firstValue("content-type").orElse(""));
        assertStored(proto);

        String json = KilnClient.unique("otlp-http-json");
        HttpResponse<byte[]> j = postOtlp("application/json", null,
                JsonFormat.printer().print(cpuRequest(json)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(200, j.statusCode(), new String(j.body()));
        assertEquals("{}", new String(j.body()));
        assertStored(json);

        String gzip = KilnClient.unique("otlp-http-gzip");
        HttpResponse<byte[]> g = postOtlp("application/x-protobuf", "gzip", PprofBuilder.gzip(cpuRequest(gzip).toByteArray()));
        assertEquals(200, g.statusCode(), new String(g.body()));
        assertStored(gzip);
    }

    @Test
    void badRequestsAreRejectedWithTheReason() throws Exception {
        HttpResponse<byte[]> type = postOtlp("text/plain", null, new byte[] {1});
        assertEquals(415, type.statusCode());

        ExportProfilesServiceRequest outOfRange = cpuRequest("bad").toBuilder()
                .setDictionary(ProfilesDictionary.newBuilder().addStringTable("")).build();
        HttpResponse<byte[]> bad = postOtlp("application/x-protobuf", null, outOfRange.toByteArray());
        assertEquals(400, bad.statusCode());
        assertTrue(new String(bad.body()).contains("out of range"), new String(bad.body()));

        StatusRuntimeException grpc = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                () -> export(kiln.otlpGrpcPort(), outOfRange));
        assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, grpc.getStatus().getCode());

        HttpResponse<byte[]> bomb = postOtlp("application/x-protobuf", "gzip", PprofBuilder.gzip(new byte[2 << 20]));
        assertEquals(413, bomb.statusCode(), "2 MiB once decompressed, over the 1 MiB body limit");
        assertTrue(new String(bomb.body()).contains("server.http_max_request_bytes"), new String(bomb.body()));

        HttpResponse<byte[]> empty = postOtlp("application/x-protobuf", null, new byte[0]);
        assertEquals(200, empty.statusCode(), "an export without profiles is a success");
    }

    static HttpResponse<byte[]> postOtlp(String contentType, String encoding, byte[] body) throws Exception {
        // HTTP/1.1: over h2c a rejection sent before the body is read resets the stream, and the
        // JDK client then reports the reset instead of the response.
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(client.base() + "/v1development/profiles"))
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (encoding != null) {
            b.header("Content-Encoding", encoding);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    // ---------------------------------------------------------------- traces to profiles

    @Test
    void spanSelectorKeepsOnlyTheSamplesOfThatSpan() throws Exception {
        String service = KilnClient.unique("otlp-spans");
        export(kiln.server().httpPort(), cpuRequest(service));
        String spanA = HexFormat.of().formatHex(SPAN_A);

        SelectMergeStacktracesResponse merged = SelectMergeStacktracesResponse.parseFrom(client.connectProto(
                "querier.v1.QuerierService/SelectMergeStacktraces", SelectMergeStacktracesRequest.newBuilder()
                        .setProfileTypeID(CPU).setLabelSelector(KilnClient.sel(service)).addSpanSelector(spanA)
                        .setStart(NOW_MS - 60_000).setEnd(NOW_MS + 60_000).build()));
        assertEquals(Map.of("main;work;hash", 30_000_000L), FlameGraphAssert.selfByPath(merged.getFlamegraph()));

        SelectMergeSpanProfileResponse span = SelectMergeSpanProfileResponse.parseFrom(client.connectProto(
                "querier.v1.QuerierService/SelectMergeSpanProfile", SelectMergeSpanProfileRequest.newBuilder()
                        .setProfileTypeID(CPU).setLabelSelector(KilnClient.sel(service))
                        .addSpanSelector(spanA).addSpanSelector(HexFormat.of().formatHex(SPAN_B))
                        .setStart(NOW_MS - 60_000).setEnd(NOW_MS + 60_000).build()));
        FlameGraph both = span.getFlamegraph();
        assertEquals(Map.of("main;work;hash", 30_000_000L, "main;work", 20_000_000L), FlameGraphAssert.selfByPath(both));
    }

    @Test
    void anExportWithoutProfilesSucceedsOnTheOtlpPortWhateverTheTenantHeader() {
        ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", kiln.otlpGrpcPort()).usePlaintext().build();
        try {
            Metadata md = new Metadata();
            md.put(Metadata.Key.of("x-scope-orgid", Metadata.ASCII_STRING_MARSHALLER), "someone");
            ProfilesServiceGrpc.newBlockingStub(ch).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
                    .export(ExportProfilesServiceRequest.getDefaultInstance());
        } finally {
            ch.shutdownNow();
        }
    }
}
