package dev.kiln.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.kiln.common.testing.FlameGraphAssert;
import dev.kiln.common.testing.PprofBuilder;
import dev.kiln.proto.push.v1.PushRequest;
import dev.kiln.proto.push.v1.PusherServiceGrpc;
import dev.kiln.proto.push.v1.RawProfileSeries;
import dev.kiln.proto.push.v1.RawSample;
import dev.kiln.proto.querier.v1.FlameGraph;
import dev.kiln.proto.querier.v1.ProfileFormat;
import dev.kiln.proto.querier.v1.ProfileTypesRequest;
import dev.kiln.proto.querier.v1.ProfileTypesResponse;
import dev.kiln.proto.querier.v1.QuerierServiceGrpc;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesRequest;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesResponse;
import dev.kiln.proto.querier.v1.SelectSeriesRequest;
import dev.kiln.proto.querier.v1.SelectSeriesResponse;
import dev.kiln.proto.types.v1.LabelPair;
import dev.kiln.proto.types.v1.Point;
import dev.kiln.proto.types.v1.Series;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The single-process acceptance: a real Kiln process (all components, real ports) fed through
 * every push protocol and queried exactly as Grafana's Pyroscope data source does.
 */
class SingleProcessIT {
    static final String CPU = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    static KilnTestClient kiln;
    static String base;
    static final long NOW_MS = System.currentTimeMillis();

    @BeforeAll
    static void start() throws IOException {
        kiln = KilnTestClient.start(Files.createTempDirectory("kiln-it"));
        base = kiln.base;
    }

    @AfterAll
    static void stop() {
        kiln.close();
    }

    /** A CPU profile: main;work;hash 300, main;work 200, main;idle 100 (values in ns). */
    static PprofBuilder knownProfile(long timeNanos) {
        return PprofBuilder.cpu().timeNanos(timeNanos).durationNanos(10_000_000_000L)
                .stack(300, "main", "work", "hash")
                .stack(200, "main", "work")
                .stack(100, "main", "idle");
    }

    static final Map<String, Long> KNOWN_SELF = Map.of("main;work;hash", 300L, "main;work", 200L, "main;idle", 100L);

    // ---------------------------------------------------------------- Grafana-style queries

    /** SelectMergeStacktraces over Connect with the headers Grafana's data source sends. */
    static FlameGraph flameGraph(String selector, Long maxNodes) throws Exception {
        SelectMergeStacktracesRequest.Builder req = SelectMergeStacktracesRequest.newBuilder()
                .setProfileTypeID(CPU).setLabelSelector(selector)
                .setStart(NOW_MS - 3_600_000L).setEnd(NOW_MS + 60_000L);
        if (maxNodes != null) {
            req.setMaxNodes(maxNodes);
        }
        HttpResponse<byte[]> r = kiln.connectProto("querier.v1.QuerierService/SelectMergeStacktraces", req.build());
        assertEquals(200, r.statusCode(), () -> new String(KilnTestClient.body(r), StandardCharsets.UTF_8));
        return SelectMergeStacktracesResponse.parseFrom(KilnTestClient.body(r)).getFlamegraph();
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static String sel(String service) {
        return "{service_name=\"" + service + "\"}";
    }

    static long nowSeconds() {
        return NOW_MS / 1000;
    }

    // ---------------------------------------------------------------- 1. pprof through every push path

    @Test
    void pprofViaMultipartIngestComesBackWithExactTotals() throws Exception {
        String app = unique("multipart");
        String boundary = "kiln" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"profile\"; filename=\"profile.pprof\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(knownProfile(NOW_MS * 1_000_000L).gzipped());
        // pprof uploads keep the app name as given as service_name (the Go agent sends the bare name).
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = kiln.ingest("name=" + KilnTestClient.enc(app + "{env=test}") + "&from=" + (nowSeconds() - 10) + "&until=" + nowSeconds(),
                "multipart/form-data; boundary=" + boundary, body.toByteArray());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(KNOWN_SELF, FlameGraphAssert.selfByPath(flameGraph(sel(app), null)));
    }

    @Test
    void rawPprofIngestComesBackWithExactTotals() throws Exception {
        String app = unique("raw");
        HttpResponse<String> r = kiln.ingest("name=" + KilnTestClient.enc(app) + "&format=pprof&from=" + (nowSeconds() - 10) + "&until=" + nowSeconds(),
                "application/octet-stream", knownProfile(NOW_MS * 1_000_000L).bytes());
        assertEquals(200, r.statusCode(), r.body());
        FlameGraph fg = flameGraph(sel(app), null);
        assertEquals(KNOWN_SELF, FlameGraphAssert.selfByPath(fg));
        assertEquals(600, fg.getTotal());
        assertEquals("total", fg.getNames(0));
    }

    @Test
    void connectPushBinaryGzipComesBackWithExactTotals() throws Exception {
        String app = unique("connect");
        PushRequest push = pushRequest(app, knownProfile(NOW_MS * 1_000_000L).bytes());
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/push.v1.PusherService/Push"))
                .header("Content-Type", "application/proto").header("Connect-Protocol-Version", "1")
                .header("Content-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(PprofBuilder.gzip(push.toByteArray()))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        assertEquals(KNOWN_SELF, FlameGraphAssert.selfByPath(flameGraph(sel(app), null)));
    }

    @Test
    void grpcPushAndQueryOnTheSamePort() throws Exception {
        String app = unique("grpc");
        ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", kiln.httpPort()).usePlaintext().build();
        try {
            PusherServiceGrpc.newBlockingStub(ch).push(pushRequest(app, knownProfile(NOW_MS * 1_000_000L).bytes()));
            SelectMergeStacktracesResponse resp = QuerierServiceGrpc.newBlockingStub(ch).selectMergeStacktraces(
                    SelectMergeStacktracesRequest.newBuilder().setProfileTypeID(CPU).setLabelSelector(sel(app))
                            .setStart(NOW_MS - 60_000).setEnd(NOW_MS + 60_000).setFormat(ProfileFormat.PROFILE_FORMAT_FLAMEGRAPH).build());
            assertEquals(KNOWN_SELF, FlameGraphAssert.selfByPath(resp.getFlamegraph()));
        } finally {
            ch.shutdownNow();
        }
    }

    static PushRequest pushRequest(String app, byte[] pprof) {
        return PushRequest.newBuilder().addSeries(RawProfileSeries.newBuilder()
                .addLabels(LabelPair.newBuilder().setName("__name__").setValue("process_cpu"))
                .addLabels(LabelPair.newBuilder().setName("service_name").setValue(app))
                .addSamples(RawSample.newBuilder().setRawProfile(ByteString.copyFrom(pprof)).setID(UUID.randomUUID().toString())))
                .build();
    }

    // ---------------------------------------------------------------- 2. Connect JSON

    @Test
    void connectJsonPushAndQueryWithBothProfileTypeIdSpellings() throws Exception {
        String app = unique("json");
        String pprof = Base64.getEncoder().encodeToString(knownProfile(NOW_MS * 1_000_000L).bytes());
        String push = "{\"series\":[{\"labels\":[{\"name\":\"__name__\",\"value\":\"process_cpu\"},"
                + "{\"name\":\"service_name\",\"value\":\"" + app + "\"}],\"samples\":[{\"rawProfile\":\"" + pprof + "\",\"ID\":\"a1\"}]}]}";
        HttpResponse<byte[]> pr = kiln.connectJson("push.v1.PusherService/Push", push);
        assertEquals(200, pr.statusCode(), new String(pr.body(), StandardCharsets.UTF_8));

        for (String field : List.of("profile_typeID", "profileTypeID")) {
            String q = "{\"" + field + "\":\"" + CPU + "\",\"labelSelector\":" + JSON.writeValueAsString(sel(app))
                    + ",\"start\":\"" + (NOW_MS - 60_000) + "\",\"end\":" + (NOW_MS + 60_000) + "}";
            HttpResponse<byte[]> r = kiln.connectJson("querier.v1.QuerierService/SelectMergeStacktraces", q);
            assertEquals(200, r.statusCode(), field + ": " + new String(r.body(), StandardCharsets.UTF_8));
            JsonNode fg = JSON.readTree(KilnTestClient.body(r)).get("flamegraph");
            assertTrue(fg.get("total").isTextual(), "int64 total must be a JSON string: " + fg);
            assertEquals("600", fg.get("total").asText());
            assertEquals("300", fg.get("maxSelf").asText());
            assertEquals("total", fg.get("names").get(0).asText());
            assertEquals("600", fg.get("levels").get(0).get("values").get(1).asText());
        }
    }

    // ---------------------------------------------------------------- 3. Grafana's health check

    @Test
    void profileTypesHealthCheckAnswers200() throws Exception {
        HttpResponse<byte[]> r = kiln.connectProto("querier.v1.QuerierService/ProfileTypes",
                ProfileTypesRequest.newBuilder().setStart(1000).setEnd(4000).build());
        assertEquals(200, r.statusCode());
        ProfileTypesResponse.parseFrom(KilnTestClient.body(r));
        HttpResponse<byte[]> j = kiln.connectJson("querier.v1.QuerierService/ProfileTypes", "{\"start\":\"1000\",\"end\":\"4000\"}");
        assertEquals(200, j.statusCode());
    }

    // ---------------------------------------------------------------- 4. folded and lines

    @Test
    void foldedInputGivesTheRightTreeScaledBySampleRate() throws Exception {
        String app = unique("folded");
        String folded = "a;b;c 10\na;b 5\na;d 1\n";
        HttpResponse<String> r = kiln.ingest("name=" + KilnTestClient.enc(app + ".cpu") + "&sampleRate=100&from=" + (nowSeconds() - 10) + "&until=" + nowSeconds(),
                null, folded.getBytes(StandardCharsets.UTF_8));
        assertEquals(200, r.statusCode(), r.body());
        // sampleRate=100 Hz: one sample is 10 ms of CPU.
        assertEquals(Map.of("a;b;c", 100_000_000L, "a;b", 50_000_000L, "a;d", 10_000_000L),
                FlameGraphAssert.selfByPath(flameGraph(sel(app), null)));
    }

    @Test
    void linesInputCountsEachLineOnce() throws Exception {
        String app = unique("lines");
        String lines = "a;b;c\na;b;c\na;b\n";
        HttpResponse<String> r = kiln.ingest("name=" + KilnTestClient.enc(app + ".cpu") + "&format=lines&sampleRate=100&from=" + (nowSeconds() - 10)
                + "&until=" + nowSeconds(), null, lines.getBytes(StandardCharsets.UTF_8));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(Map.of("a;b;c", 20_000_000L, "a;b", 10_000_000L), FlameGraphAssert.selfByPath(flameGraph(sel(app), null)));
    }

    // ---------------------------------------------------------------- 5. series, render, render-diff

    @Test
    void selectSeriesBucketsAndGroupBy() throws Exception {
        String app = unique("series");
        long t0 = (NOW_MS / 10_000) * 10_000 - 60_000; // aligned to the 10 s step, a minute ago
        pushAt(app, "prod", t0 + 1_000, 100);
        pushAt(app, "prod", t0 + 10_000, 50);
        pushAt(app, "prod", t0 + 15_000, 7);
        pushAt(app, "dev", t0 + 15_000, 3);
        SelectSeriesRequest req = SelectSeriesRequest.newBuilder().setProfileTypeID(CPU).setLabelSelector(sel(app))
                .setStart(t0).setEnd(t0 + 30_000).setStep(10).addGroupBy("env").build();
        HttpResponse<byte[]> r = kiln.connectProto("querier.v1.QuerierService/SelectSeries", req);
        assertEquals(200, r.statusCode(), new String(KilnTestClient.body(r), StandardCharsets.UTF_8));
        Map<String, Map<Long, Double>> byEnv = new TreeMap<>();
        for (Series s : SelectSeriesResponse.parseFrom(KilnTestClient.body(r)).getSeriesList()) {
            Map<Long, Double> pts = new TreeMap<>();
            for (Point p : s.getPointsList()) {
                pts.put(p.getTimestamp() - t0, p.getValue());
            }
            assertEquals(1, s.getLabelsCount());
            byEnv.put(s.getLabels(0).getValue(), pts);
        }
        // Buckets are (t - step, t]: 1 s and 10 s land on 10 s, 15 s on 20 s.
        assertEquals(Map.of("dev", Map.of(20_000L, 3.0), "prod", Map.of(10_000L, 150.0, 20_000L, 7.0)), byEnv);
    }

    private void pushAt(String app, String env, long timeMs, long value) throws Exception {
        byte[] pprof = PprofBuilder.cpu().timeNanos(timeMs * 1_000_000L).stack(value, "main", "f").bytes();
        HttpResponse<String> r = kiln.ingest("name=" + KilnTestClient.enc(app + "{env=" + env + "}") + "&format=pprof&from=" + timeMs / 1000
                + "&until=" + timeMs / 1000, "application/octet-stream", pprof);
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void renderAndRenderDiffReturnFlamebearerJson() throws Exception {
        String left = unique("left");
        String right = unique("right");
        String from = String.valueOf(nowSeconds() - 10);
        String until = String.valueOf(nowSeconds());
        assertEquals(200, kiln.ingest("name=" + KilnTestClient.enc(left + ".cpu") + "&sampleRate=100&from=" + from + "&until=" + until, null,
                "main;a 3\nmain;b 1\n".getBytes(StandardCharsets.UTF_8)).statusCode());
        assertEquals(200, kiln.ingest("name=" + KilnTestClient.enc(right + ".cpu") + "&sampleRate=100&from=" + from + "&until=" + until, null,
                "main;a 1\nmain;c 5\n".getBytes(StandardCharsets.UTF_8)).statusCode());

        HttpResponse<String> single = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/pyroscope/render?query="
                + KilnTestClient.enc(CPU + sel(left)) + "&from=now-1h&until=now")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, single.statusCode(), single.body());
        JsonNode fb = JSON.readTree(single.body());
        assertEquals(40_000_000L, fb.get("flamebearer").get("numTicks").asLong());
        assertEquals("single", fb.get("metadata").get("format").asText());
        assertEquals("total", fb.get("flamebearer").get("names").get(0).asText());
        assertEquals(List.of(0L, 40_000_000L, 0L, 0L), longs(fb.get("flamebearer").get("levels").get(0)));
        long timelineSum = 0;
        for (JsonNode v : fb.get("timeline").get("samples")) {
            timelineSum += v.asLong();
        }
        assertEquals(40_000_000L, timelineSum);

        HttpResponse<String> diff = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/pyroscope/render-diff?leftQuery="
                + KilnTestClient.enc(CPU + sel(left)) + "&rightQuery=" + KilnTestClient.enc(CPU + sel(right))
                + "&leftFrom=now-1h&leftUntil=now&rightFrom=now-1h&rightUntil=now")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, diff.statusCode(), diff.body());
        JsonNode d = JSON.readTree(diff.body());
        assertEquals("double", d.get("metadata").get("format").asText());
        assertEquals(100_000_000L, d.get("flamebearer").get("numTicks").asLong());
        assertEquals(40_000_000L, d.get("leftTicks").asLong());
        assertEquals(60_000_000L, d.get("rightTicks").asLong());
        // Level 0 of a diff: [left x, left total, left self, right x, right total, right self, name].
        assertEquals(List.of(0L, 40_000_000L, 0L, 0L, 60_000_000L, 0L, 0L), longs(d.get("flamebearer").get("levels").get(0)));
    }

    @Test
    void concurrentRendersAndDiffsAllAnswer() throws Exception {
        String app = unique("concurrent");
        assertEquals(200, kiln.ingest("name=" + KilnTestClient.enc(app + ".cpu") + "&from=" + (nowSeconds() - 10) + "&until=" + nowSeconds(), null,
                "main;a 3\nmain;b 1\n".getBytes(StandardCharsets.UTF_8)).statusCode());
        // Each render waits for a tree and a series; they once starved the queriers of threads and hung.
        String render = base + "/pyroscope/render?query=" + KilnTestClient.enc(CPU + sel(app)) + "&from=now-1h&until=now";
        String diff = base + "/pyroscope/render-diff?leftQuery=" + KilnTestClient.enc(CPU + sel(app)) + "&rightQuery=" + KilnTestClient.enc(CPU + sel(app))
                + "&leftFrom=now-1h&leftUntil=now&rightFrom=now-1h&rightUntil=now";
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> calls = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            calls.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(i % 2 == 0 ? render : diff)).timeout(java.time.Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (var call : calls) {
            HttpResponse<String> r = call.get();
            assertEquals(200, r.statusCode(), r.body());
        }
    }

    static List<Long> longs(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asLong).toList();
    }

    // ---------------------------------------------------------------- 6. max_nodes

    @Test
    void maxNodesKeepsTheLargestNodesAndAnOtherNode() throws Exception {
        String app = unique("maxnodes");
        StringBuilder folded = new StringBuilder("main;big 1000\n");
        for (int i = 0; i < 20; i++) {
            folded.append("main;small").append(i).append(' ').append(i + 1).append('\n');
        }
        assertEquals(200, kiln.ingest("name=" + KilnTestClient.enc(app + ".cpu") + "&sampleRate=100&from=" + (nowSeconds() - 10) + "&until=" + nowSeconds(), null,
                folded.toString().getBytes(StandardCharsets.UTF_8)).statusCode());
        long expectedTotal = (1000 + 210) * 10_000_000L;
        FlameGraph full = flameGraph(sel(app), null);
        assertEquals(expectedTotal, full.getTotal());
        assertEquals(23, full.getNamesCount()); // total, main, big, small0..19

        FlameGraph pruned = flameGraph(sel(app), 5L);
        assertEquals(expectedTotal, pruned.getTotal());
        Map<String, Long> self = new LinkedHashMap<>(FlameGraphAssert.selfByPath(pruned));
        // Kept: total, main, big and the two largest smalls (20 and 19 samples); the rest fold into other.
        assertEquals(Map.of("main;big", 10_000_000_000L, "main;small19", 200_000_000L, "main;small18", 190_000_000L,
                "main;other", (210L - 20 - 19) * 10_000_000L), self);
    }

    // ---------------------------------------------------------------- 7. bad input

    @Test
    void badInputGetsA4xxWithAMessageAndTheServerKeepsServing() throws Exception {
        String app = unique("bad");
        String range = "&from=" + (nowSeconds() - 10) + "&until=" + nowSeconds();

        HttpResponse<String> truncated = kiln.ingest("name=" + KilnTestClient.enc(app) + "&format=pprof" + range, "application/octet-stream",
                java.util.Arrays.copyOf(knownProfile(NOW_MS * 1_000_000L).bytes(), 25));
        assertClientError(truncated.statusCode(), truncated.body(), "pprof");

        byte[] badGzip = {0x1f, (byte) 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7};
        HttpResponse<String> gz = kiln.ingest("name=" + KilnTestClient.enc(app) + "&format=pprof" + range, "application/octet-stream", badGzip);
        assertClientError(gz.statusCode(), gz.body(), "gzip");

        HttpResponse<String> unknown = kiln.ingest("name=" + KilnTestClient.enc(app) + "&format=nonsense" + range, null, "x 1".getBytes(StandardCharsets.UTF_8));
        assertEquals(400, unknown.statusCode());
        assertTrue(unknown.body().contains("unknown format 'nonsense'"), unknown.body());

        HttpResponse<String> noName = kiln.ingest("format=folded" + range, null, "x 1".getBytes(StandardCharsets.UTF_8));
        assertEquals(400, noName.statusCode());
        assertTrue(noName.body().contains("name"), noName.body());

        HttpResponse<byte[]> badPush = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/push.v1.PusherService/Push"))
                .header("Content-Type", "application/proto").POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0x0a, 0x7f, 0x01}))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(400, badPush.statusCode());
        assertEquals("invalid_argument", JSON.readTree(KilnTestClient.body(badPush)).get("code").asText());

        HttpResponse<byte[]> badSelector = kiln.connectProto("querier.v1.QuerierService/SelectMergeStacktraces",
                SelectMergeStacktracesRequest.newBuilder().setProfileTypeID(CPU).setLabelSelector("{service_name=\"x\"")
                        .setStart(NOW_MS - 60_000).setEnd(NOW_MS).build());
        assertEquals(400, badSelector.statusCode());
        JsonNode err = JSON.readTree(KilnTestClient.body(badSelector));
        assertEquals("invalid_argument", err.get("code").asText());
        assertTrue(err.get("message").asText().contains("selector"), err.toString());

        // Nothing above was stored, and good data still goes in and comes out.
        assertEquals(0, flameGraph(sel(app), null).getTotal());
        HttpResponse<String> good = kiln.ingest("name=" + KilnTestClient.enc(app) + "&format=pprof" + range, "application/octet-stream",
                knownProfile(NOW_MS * 1_000_000L).bytes());
        assertEquals(200, good.statusCode(), good.body());
        assertEquals(KNOWN_SELF, FlameGraphAssert.selfByPath(flameGraph(sel(app), null)));
    }

    static void assertClientError(int status, String body, String mentions) throws IOException {
        assertTrue(status == 400 || status == 422, "status " + status + ": " + body);
        String message = JSON.readTree(body).get("message").asText();
        assertTrue(message.toLowerCase().contains(mentions), "message should name the problem (" + mentions + "): " + message);
    }
}
