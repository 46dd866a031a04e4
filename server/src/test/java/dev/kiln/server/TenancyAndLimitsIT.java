package dev.kiln.server;

import static dev.kiln.server.KilnTestClient.enc;
import static dev.kiln.server.KilnTestClient.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.common.ErrorCode;
import dev.kiln.common.testing.PprofBuilder;
import dev.kiln.proto.push.v1.PushRequest;
import dev.kiln.proto.push.v1.PushResponse;
import dev.kiln.proto.push.v1.PusherServiceGrpc;
import dev.kiln.proto.push.v1.RawProfileSeries;
import dev.kiln.proto.types.v1.LabelPair;
import dev.kiln.proto.types.v1.LabelValuesRequest;
import dev.kiln.proto.types.v1.LabelValuesResponse;
import dev.kiln.proto.querier.v1.ProfileTypesRequest;
import dev.kiln.proto.querier.v1.ProfileTypesResponse;
import dev.kiln.proto.querier.v1.QuerierServiceGrpc;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesRequest;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesResponse;
import dev.kiln.proto.querier.v1.SelectSeriesRequest;
import dev.kiln.proto.querier.v1.SelectSeriesResponse;
import dev.kiln.proto.querier.v1.SeriesRequest;
import dev.kiln.proto.querier.v1.SeriesResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Multitenancy and per-tenant limits through the public APIs of a real process: isolation between
 * tenants on every read path, the tenant header rules, every ingest and query limit with its
 * status, error code and message, and runtime overrides taking effect without a restart.
 */
class TenancyAndLimitsIT {
    static final String CPU = SingleProcessIT.CPU;
    static final ObjectMapper JSON = new ObjectMapper();
    static final long NOW_MS = System.currentTimeMillis();

    static Path dir;
    static Path overrides;
    static KilnTestClient kiln;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("kiln-tenancy");
        overrides = dir.resolve("overrides.yaml");
        Files.writeString(overrides, """
                overrides:
                  tiny:
                    ingestion_rate_mb: 0.001
                    ingestion_burst_size_mb: 0.001
                  strict:
                    max_label_names_per_series: 4
                    max_label_name_length: 14
                    max_label_value_length: 12
                    max_profile_stacktrace_samples: 3
                    max_profile_stacktrace_depth: 5
                    max_profile_size_bytes: 100000
                    max_query_length: 1h
                    max_flamegraph_nodes_max: 100
                    reject_older_than: 10m
                    reject_newer_than: 1m
                    max_query_lookback: 2h
                    max_profile_symbol_value_length: 8
                  few:
                    max_global_series_per_tenant: 2
                  split:
                    split_queries_by_interval: 1m
                """);
        kiln = KilnTestClient.start(dir, "-auth.multitenancy-enabled", "-runtime-config.file=" + overrides,
                "-runtime-config.period=100ms");
    }

    @AfterAll
    static void stop() {
        kiln.close();
    }

    static String[] tenant(String t) {
        return new String[] {"X-Scope-OrgID", t};
    }

    static HttpResponse<String> pushFolded(String tenant, String app, String folded) throws Exception {
        long now = NOW_MS / 1000;
        return kiln.ingest("name=" + enc(app + ".cpu") + "&sampleRate=100&from=" + (now - 10) + "&until=" + now, null,
                folded.getBytes(StandardCharsets.UTF_8), tenant(tenant));
    }

    static HttpResponse<String> pushPprof(String tenant, String app, byte[] pprof) throws Exception {
        long now = NOW_MS / 1000;
        return kiln.ingest("name=" + enc(app) + "&format=pprof&from=" + (now - 10) + "&until=" + now, "application/octet-stream",
                pprof, tenant(tenant));
    }

    static SelectMergeStacktracesRequest flameRequest(String app) {
        return SelectMergeStacktracesRequest.newBuilder().setProfileTypeID(CPU).setLabelSelector("{service_name=\"" + app + "\"}")
                .setStart(NOW_MS - 600_000).setEnd(NOW_MS + 60_000).build();
    }

    static long total(String tenantExpr, String app) throws Exception {
        HttpResponse<byte[]> r = kiln.connectProto("querier.v1.QuerierService/SelectMergeStacktraces", flameRequest(app), tenant(tenantExpr));
        assertEquals(200, r.statusCode(), text(r));
        return SelectMergeStacktracesResponse.parseFrom(KilnTestClient.body(r)).getFlamegraph().getTotal();
    }

    static void assertError(HttpResponse<?> r, int status, String code, String... mentions) throws Exception {
        String body = r.body() instanceof byte[] b ? text((HttpResponse<byte[]>) r) : (String) r.body();
        assertEquals(status, r.statusCode(), body);
        JsonNode err = JSON.readTree(body);
        assertEquals(code, err.get("code").asText(), body);
        for (String m : mentions) {
            assertTrue(err.get("message").asText().contains(m), "message should mention '" + m + "': " + body);
        }
    }

    // ---------------------------------------------------------------- tenancy

    @Test
    void tenantDataIsInvisibleToOtherTenantsOnEveryReadPath() throws Exception {
        assertEquals(200, pushFolded("team-a", "secret-app", "main;a 5\n").statusCode());
        assertEquals(50_000_000L, total("team-a", "secret-app"));
        assertEquals(0L, total("team-b", "secret-app"));
        assertEquals(50_000_000L, total("team-b|team-a", "secret-app"), "a cross-tenant read sees both");

        ProfileTypesRequest types = ProfileTypesRequest.newBuilder().setStart(NOW_MS - 600_000).setEnd(NOW_MS + 60_000).build();
        assertEquals(0, ProfileTypesResponse.parseFrom(KilnTestClient.body(
                kiln.connectProto("querier.v1.QuerierService/ProfileTypes", types, tenant("team-b")))).getProfileTypesCount());
        assertEquals(1, ProfileTypesResponse.parseFrom(KilnTestClient.body(
                kiln.connectProto("querier.v1.QuerierService/ProfileTypes", types, tenant("team-a")))).getProfileTypesCount());

        LabelValuesRequest values = LabelValuesRequest.newBuilder().setName("service_name")
                .setStart(NOW_MS - 600_000).setEnd(NOW_MS + 60_000).build();
        assertTrue(LabelValuesResponse.parseFrom(KilnTestClient.body(kiln.connectProto("querier.v1.QuerierService/LabelValues", values,
                tenant("team-b")))).getNamesList().stream().noneMatch("secret-app"::equals));
        assertTrue(LabelValuesResponse.parseFrom(KilnTestClient.body(kiln.connectProto("querier.v1.QuerierService/LabelValues", values,
                tenant("team-a")))).getNamesList().contains("secret-app"));

        SeriesRequest series = SeriesRequest.newBuilder().addMatchers("{service_name=\"secret-app\"}")
                .setStart(NOW_MS - 600_000).setEnd(NOW_MS + 60_000).build();
        assertEquals(0, SeriesResponse.parseFrom(KilnTestClient.body(kiln.connectProto("querier.v1.QuerierService/Series", series,
                tenant("team-b")))).getLabelsSetCount());
        assertEquals(1, SeriesResponse.parseFrom(KilnTestClient.body(kiln.connectProto("querier.v1.QuerierService/Series", series,
                tenant("team-a")))).getLabelsSetCount());

        SelectSeriesRequest ts = SelectSeriesRequest.newBuilder().setProfileTypeID(CPU).setLabelSelector("{service_name=\"secret-app\"}")
                .setStart(NOW_MS - 600_000).setEnd(NOW_MS + 60_000).setStep(60).build();
        assertEquals(0, SelectSeriesResponse.parseFrom(KilnTestClient.body(kiln.connectProto("querier.v1.QuerierService/SelectSeries", ts,
                tenant("team-b")))).getSeriesCount());

        String render = "/pyroscope/render?query=" + enc(CPU + "{service_name=\"secret-app\"}") + "&from=now-1h&until=now";
        assertEquals(0, JSON.readTree(kiln.get(render, tenant("team-b")).body()).get("flamebearer").get("numTicks").asLong());
        assertEquals(50_000_000L, JSON.readTree(kiln.get(render, tenant("team-a")).body()).get("flamebearer").get("numTicks").asLong());
        String labelValues = "/pyroscope/label-values?label=service_name&from=now-1h&until=now";
        assertTrue(!kiln.get(labelValues, tenant("team-b")).body().contains("secret-app"));
        assertTrue(kiln.get(labelValues, tenant("team-a")).body().contains("secret-app"));
    }

    @Test
    void missingOrInvalidTenantIsRejectedOnEveryProtocol() throws Exception {
        HttpResponse<String> noTenant = kiln.ingest("name=x.cpu", null, "a 1".getBytes(StandardCharsets.UTF_8));
        assertError(noTenant, 401, "unauthenticated", "X-Scope-OrgID");
        HttpResponse<byte[]> connect = kiln.connectProto("querier.v1.QuerierService/SelectMergeStacktraces", flameRequest("x"));
        assertError(connect, 401, "unauthenticated", "X-Scope-OrgID");
        assertError(kiln.get("/pyroscope/render?query=" + enc(CPU + "{}")), 401, "unauthenticated");

        HttpResponse<String> badId = kiln.ingest("name=x.cpu", null, "a 1".getBytes(StandardCharsets.UTF_8), tenant("../etc"));
        assertError(badId, 400, "invalid_argument", "invalid tenant id");

        ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", kiln.httpPort()).usePlaintext().build();
        try {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> QuerierServiceGrpc.newBlockingStub(ch).selectMergeStacktraces(flameRequest("x")));
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
        } finally {
            ch.shutdownNow();
        }
    }

    /**
     * Connect pushes call the distributor directly rather than through the gRPC service; for every
     * refusal (tenant header, labels, payload, limits) they answer the code and message gRPC does,
     * with the code's HTTP status.
     */
    @Test
    void connectPushAnswersWhatTheGrpcPushAnswers() throws Exception {
        long nowNanos = NOW_MS * 1_000_000L;
        byte[] goodPprof = PprofBuilder.cpu().timeNanos(nowNanos).stack(1, "main").bytes();
        PushRequest good = SingleProcessIT.pushRequest("parity-app", goodPprof);
        PushRequest reserved = PushRequest.newBuilder(good).setSeries(0, RawProfileSeries.newBuilder(good.getSeries(0))
                .addLabels(LabelPair.newBuilder().setName("__secret__").setValue("x"))).build();
        PushRequest notPprof = SingleProcessIT.pushRequest("parity-app", "not a profile".getBytes(StandardCharsets.UTF_8));
        PushRequest tooOld = SingleProcessIT.pushRequest("parity-app",
                PprofBuilder.cpu().timeNanos(nowNanos - 3_600_000_000_000L).stack(1, "main").bytes());
        PushRequest tooManySamples = SingleProcessIT.pushRequest("parity-app", PprofBuilder.cpu().timeNanos(nowNanos)
                .stack(1, "a").stack(1, "b").stack(1, "c").stack(1, "d").bytes());
        ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", kiln.httpPort()).usePlaintext().build();
        try {
            List<String[]> cases = List.of(
                    new String[] {null, "unauthenticated", "X-Scope-OrgID"},
                    new String[] {"../etc", "invalid_argument", "invalid tenant id"},
                    new String[] {"team-a|team-b", "invalid_argument", "exactly one tenant"},
                    new String[] {"team-a", "invalid_argument", "__secret__"},
                    new String[] {"team-a", "invalid_argument", "pprof"},
                    new String[] {"strict", "invalid_argument", "limits.reject_older_than"},
                    new String[] {"strict", "invalid_argument", "limits.max_profile_stacktrace_samples"});
            List<PushRequest> requests = List.of(good, good, good, reserved, notPprof, tooOld, tooManySamples);
            for (int i = 0; i < cases.size(); i++) {
                String tenant = cases.get(i)[0];
                HttpResponse<byte[]> connect = kiln.connectProto("push.v1.PusherService/Push", requests.get(i),
                        tenant == null ? new String[0] : tenant(tenant));
                assertError(connect, ErrorCode.valueOf(cases.get(i)[1].toUpperCase(java.util.Locale.ROOT)).httpStatus(), cases.get(i)[1],
                        cases.get(i)[2]);
                Status grpc = grpcPush(ch, tenant, requests.get(i));
                assertEquals(cases.get(i)[1], grpc.getCode().name().toLowerCase(java.util.Locale.ROOT), grpc.toString());
                assertEquals(JSON.readTree(text(connect)).get("message").asText(), grpc.getDescription());
            }
            HttpResponse<byte[]> accepted = kiln.connectProto("push.v1.PusherService/Push", good, tenant("team-a"));
            assertEquals(200, accepted.statusCode(), text(accepted));
            assertEquals(PushResponse.getDefaultInstance(), PushResponse.parseFrom(KilnTestClient.body(accepted)));
            assertEquals(Status.Code.OK, grpcPush(ch, "team-a", SingleProcessIT.pushRequest("parity-app", goodPprof)).getCode());
            assertEquals(2L, total("team-a", "parity-app"), "both accepted pushes are stored");
        } finally {
            ch.shutdownNow();
        }
    }

    /** The status of a gRPC push on the HTTP port, as {@code tenant} (none when null). */
    static Status grpcPush(ManagedChannel ch, String tenant, PushRequest request) {
        Metadata headers = new Metadata();
        if (tenant != null) {
            headers.put(Metadata.Key.of("X-Scope-OrgID", Metadata.ASCII_STRING_MARSHALLER), tenant);
        }
        try {
            PusherServiceGrpc.newBlockingStub(ch).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)).push(request);
            return Status.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
    }

    // ---------------------------------------------------------------- ingest limits

    @Test
    void ingestionRateLimitAnswers429AndOverridesReloadWithoutRestart() throws Exception {
        StringBuilder big = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            big.append("main;function_number_").append(i).append(" 1\n");
        }
        HttpResponse<String> r = pushFolded("tiny", "rate-app", big.toString());
        assertError(r, 429, "resource_exhausted", "limits.ingestion_rate_mb", "tenant 'tiny'");
        assertEquals(0L, total("tiny", "rate-app"), "a rejected push stores nothing");
        assertEquals(200, pushFolded("team-a", "rate-app", big.toString()).statusCode(), "other tenants are unaffected");

        String original = Files.readString(overrides);
        Files.writeString(overrides, original.replace("ingestion_rate_mb: 0.001", "ingestion_rate_mb: 100")
                .replace("ingestion_burst_size_mb: 0.001", "ingestion_burst_size_mb: 100"));
        try {
            int status = 0;
            for (int attempt = 0; attempt < 100 && status != 200; attempt++) {
                Thread.sleep(100);
                status = pushFolded("tiny", "rate-app", big.toString()).statusCode();
            }
            assertEquals(200, status, "the raised limit applies without a restart");
            assertEquals(2_000_000_000L, total("tiny", "rate-app"));
        } finally {
            Files.writeString(overrides, original);
        }
    }

    /** /ingest answers 422 for profiles the push path refuses, as Pyroscope does (wire.md §1.3.1). */
    @Test
    void labelLimitsRejectWithTheLimitName() throws Exception {
        HttpResponse<String> many = kiln.ingest("name=" + enc("app{a=1,b=2,c=3,d=4}") + "&format=pprof", "application/octet-stream",
                PprofBuilder.cpu().timeNanos(NOW_MS * 1_000_000L).stack(1, "main").bytes(), tenant("strict"));
        assertError(many, 422, "invalid_argument", "limits.max_label_names_per_series");
        HttpResponse<String> longName = kiln.ingest("name=" + enc("app{a_very_long_label_name=1}") + "&format=pprof",
                "application/octet-stream", PprofBuilder.cpu().timeNanos(NOW_MS * 1_000_000L).stack(1, "main").bytes(), tenant("strict"));
        assertError(longName, 422, "invalid_argument", "limits.max_label_name_length");
        HttpResponse<String> longValue = kiln.ingest("name=" + enc("app{a=a_very_long_value}") + "&format=pprof",
                "application/octet-stream", PprofBuilder.cpu().timeNanos(NOW_MS * 1_000_000L).stack(1, "main").bytes(), tenant("strict"));
        assertError(longValue, 422, "invalid_argument", "limits.max_label_value_length");
    }

    @Test
    void profileLimitsRejectOrTruncate() throws Exception {
        PprofBuilder tooMany = PprofBuilder.cpu().timeNanos(NOW_MS * 1_000_000L);
        for (int i = 0; i < 4; i++) {
            tooMany.stack(1, "main", "f" + i);
        }
        assertError(pushPprof("strict", "samples-app", tooMany.bytes()), 422, "invalid_argument", "limits.max_profile_stacktrace_samples");

        // 1 MB of zeros gzips to about 1 KB: rejected by the decompressed size, not the upload size.
        byte[] bomb = PprofBuilder.gzip(new byte[1 << 20]);
        assertTrue(bomb.length < 10_000);
        assertError(pushPprof("strict", "bomb-app", bomb), 422, "invalid_argument", "limits.max_profile_size_bytes");

        // Stacks deeper than the limit keep their leaf-most frames instead of being rejected.
        String[] deep = {"f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8"};
        assertEquals(200, pushPprof("strict", "deep-app", PprofBuilder.cpu().timeNanos(NOW_MS * 1_000_000L).stack(9, deep).bytes()).statusCode());
        HttpResponse<byte[]> r = kiln.connectProto("querier.v1.QuerierService/SelectMergeStacktraces", flameRequest("deep-app"), tenant("strict"));
        var fg = SelectMergeStacktracesResponse.parseFrom(KilnTestClient.body(r)).getFlamegraph();
        assertEquals(9, fg.getTotal());
        assertEquals(List.of("f4", "f5", "f6", "f7", "f8"), fg.getNamesList().subList(1, fg.getNamesCount()).stream().sorted().toList());

        // Symbols longer than the limit are cut, not rejected.
        assertEquals(200, pushPprof("strict", "long-symbols",
                PprofBuilder.cpu().timeNanos(NOW_MS * 1_000_000L).stack(3, "a_very_long_function_name").bytes()).statusCode());
        var longFg = SelectMergeStacktracesResponse.parseFrom(KilnTestClient.body(kiln.connectProto(
                "querier.v1.QuerierService/SelectMergeStacktraces", flameRequest("long-symbols"), tenant("strict")))).getFlamegraph();
        assertEquals(List.of("total", "a_very_l"), longFg.getNamesList());
    }

    // ---------------------------------------------------------------- query limits

    @Test
    void queryLimitsRejectWithTheLimitName() throws Exception {
        SelectMergeStacktracesRequest tooLong = flameRequest("x").toBuilder().setStart(NOW_MS - 7_200_000).setEnd(NOW_MS).build();
        assertError(kiln.connectProto("querier.v1.QuerierService/SelectMergeStacktraces", tooLong, tenant("strict")), 400,
                "invalid_argument", "limits.max_query_length");
        assertEquals(200, kiln.connectProto("querier.v1.QuerierService/SelectMergeStacktraces", tooLong, tenant("team-a")).statusCode(),
                "the default 31d limit allows it for other tenants");

        SelectMergeStacktracesRequest tooManyNodes = flameRequest("x").toBuilder().setMaxNodes(101).build();
        assertError(kiln.connectProto("querier.v1.QuerierService/SelectMergeStacktraces", tooManyNodes, tenant("strict")), 400,
                "invalid_argument", "max_nodes");
    }

    @Test
    void timeWindowLimitsRefuseOldAndFutureProfiles() throws Exception {
        long now = System.currentTimeMillis();
        HttpResponse<String> old = pushPprof("strict", "window-app",
                PprofBuilder.cpu().timeNanos((now - 20 * 60_000L) * 1_000_000L).stack(1, "main").bytes());
        assertError(old, 422, "invalid_argument", "limits.reject_older_than");
        HttpResponse<String> future = pushPprof("strict", "window-app",
                PprofBuilder.cpu().timeNanos((now + 5 * 60_000L) * 1_000_000L).stack(1, "main").bytes());
        assertError(future, 422, "invalid_argument", "limits.reject_newer_than");
        SelectMergeStacktracesRequest ancient = flameRequest("x").toBuilder().setStart(now - 5 * 3_600_000L).setEnd(now - 4 * 3_600_000L).build();
        assertError(kiln.connectProto("querier.v1.QuerierService/SelectMergeStacktraces", ancient, tenant("strict")), 400,
                "invalid_argument", "limits.max_query_lookback");
    }

    @Test
    void theSeriesLimitRefusesNewSeriesButNotKnownOnes() throws Exception {
        assertEquals(200, pushFolded("few", "series-1", "main 1\n").statusCode());
        assertEquals(200, pushFolded("few", "series-2", "main 1\n").statusCode());
        assertError(pushFolded("few", "series-3", "main 1\n"), 429, "resource_exhausted", "limits.max_global_series_per_tenant");
        assertEquals(200, pushFolded("few", "series-1", "main 1\n").statusCode(), "known series still take profiles");
        assertEquals(20_000_000L, total("few", "series-1"));
    }

    @Test
    void splitQueriesGiveTheSameAnswer() throws Exception {
        long now = System.currentTimeMillis();
        for (String t : List.of("split", "split-reference")) {
            for (long ago : new long[] {5, 3, 0}) {
                long at = now - ago * 60_000L - 7_000;
                assertEquals(200, kiln.ingest("name=split-app&format=pprof", "application/octet-stream",
                        PprofBuilder.cpu().timeNanos(at * 1_000_000L).stack(10 + ago, "main", "f" + ago).bytes(), tenant(t)).statusCode());
            }
        }
        // limits.split_queries_by_interval=1m cuts this 10-minute query into 11 parts.
        SelectMergeStacktracesRequest r = flameRequest("split-app").toBuilder().setStart(now - 600_000).setEnd(now + 30_000).build();
        var fg = SelectMergeStacktracesResponse.parseFrom(KilnTestClient.body(
                kiln.connectProto("querier.v1.QuerierService/SelectMergeStacktraces", r, tenant("split")))).getFlamegraph();
        assertEquals(15 + 13 + 10, fg.getTotal());
        assertEquals(5, fg.getNamesCount(), "total, main and the three leaves, merged by name: " + fg.getNamesList());

        // Series parts start on the query's step grid (here not aligned to the minute), so their buckets add up to the unsplit answer.
        SelectSeriesRequest series = SelectSeriesRequest.newBuilder().setProfileTypeID(CPU).setLabelSelector("{service_name=\"split-app\"}")
                .setStart(now - 600_000).setEnd(now + 30_000).setStep(25).build();
        var split = SelectSeriesResponse.parseFrom(KilnTestClient.body(
                kiln.connectProto("querier.v1.QuerierService/SelectSeries", series, tenant("split"))));
        var whole = SelectSeriesResponse.parseFrom(KilnTestClient.body(
                kiln.connectProto("querier.v1.QuerierService/SelectSeries", series, tenant("split-reference"))));
        assertEquals(3, whole.getSeries(0).getPointsCount(), whole.toString());
        assertEquals(whole.getSeriesList(), split.getSeriesList());
    }

    @Test
    void theProcessStaysHealthyAfterRejections() throws Exception {
        for (int i = 0; i < 20; i++) {
            pushPprof("strict", "junk", Arrays.copyOf(PprofBuilder.cpu().stack(1, "a").bytes(), 7));
        }
        assertEquals(200, kiln.get("/ready").statusCode());
        assertEquals(200, pushFolded("team-a", "healthy-app", "main 1\n").statusCode());
        assertEquals(10_000_000L, total("team-a", "healthy-app"));
    }
}
