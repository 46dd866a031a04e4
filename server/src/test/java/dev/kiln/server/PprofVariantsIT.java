package dev.kiln.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.kiln.common.testing.FlameGraphAssert;
import dev.kiln.common.testing.PprofBuilder;
import dev.kiln.proto.push.v1.PushRequest;
import dev.kiln.proto.push.v1.RawProfileSeries;
import dev.kiln.proto.push.v1.RawSample;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesRequest;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesResponse;
import dev.kiln.proto.querier.v1.SeriesRequest;
import dev.kiln.proto.querier.v1.SeriesResponse;
import dev.kiln.proto.types.v1.LabelPair;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * pprof variants and pull mode (issue 5, acceptance 4, 5 and 6): cumulative memory profiles become
 * deltas, span profiles filter by span id and span name, agent-specific uploads (speedscope,
 * py-spy) look as in Pyroscope, legacy binary formats are refused by name, and a scrape job pulls
 * pprof from a test HTTP server into the configured labels.
 */
class PprofVariantsIT {
    static final String CPU = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    static final String ALLOC_SPACE = "memory:alloc_space:bytes:space:bytes";
    static final String ALLOC_OBJECTS = "memory:alloc_objects:count:space:bytes";
    static final String INUSE_SPACE = "memory:inuse_space:bytes:space:bytes";
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final long NOW_MS = System.currentTimeMillis();
    static final String JOB = KilnClient.unique("scraped");

    static HttpServer pprofServer;
    static final AtomicInteger heapRequests = new AtomicInteger();
    static final ConcurrentLinkedQueue<String> requests = new ConcurrentLinkedQueue<>();
    static Kiln kiln;
    static KilnClient client;

    @BeforeAll
    static void start() throws IOException {
        pprofServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        pprofServer.createContext("/debug/pprof/", PprofVariantsIT::servePprof);
        pprofServer.start();
        String target = "127.0.0.1:" + pprofServer.getAddress().getPort();

        Path dir = Files.createTempDirectory("kiln-pprof-it");
        Path yaml = dir.resolve("kiln.yaml");
        Files.writeString(yaml, """
                scrape_configs:
                  - job_name: %s
                    scrape_interval: 2s
                    static_configs:
                      - targets: ["%s"]
                        labels: {env: it}
                    profiles:
                      mutex: {enabled: false}
                """.formatted(JOB, target));
        kiln = KilnClient.startKiln(dir, "-config.file=" + yaml, "-distributor.receivers.otlp.protocols.grpc.endpoint=");
        client = new KilnClient(kiln.server().httpPort(), NOW_MS);
    }

    @AfterAll
    static void stop() {
        kiln.close();
        pprofServer.stop(0);
    }

    /**
     * A Go-like pprof endpoint: a 100 ms CPU profile (70 ms in handle, 30 ms in gc); a heap whose
     * allocation totals grow by 10 objects / 1000 bytes per request for the first three requests
     * and then stay (so the stored deltas settle at a known sum); a goroutine profile. Anything
     * else (block here) is 404.
     */
    static void servePprof(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        requests.add(ex.getRequestURI().toString());
        long now = System.currentTimeMillis() * 1_000_000L;
        byte[] body = switch (path) {
            case "/debug/pprof/profile" -> PprofBuilder.cpu().timeNanos(now).durationNanos(1_000_000_000L)
                    .stack(70_000_000, "main", "serve", "handle").stack(30_000_000, "main", "gc").gzipped();
            case "/debug/pprof/heap" -> {
                long n = Math.min(3, heapRequests.incrementAndGet());
                yield heap(now, 10 * n, 1000 * n).gzipped();
            }
            case "/debug/pprof/goroutine" -> new PprofBuilder().sampleType("goroutine", "count").periodType("goroutine", "count")
                    .period(1).timeNanos(now).stack(4, "main", "worker").gzipped();
            default -> null;
        };
        if (body == null) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    /** A Go heap profile with one allocation site, main;alloc; in-use memory is constant. */
    static PprofBuilder heap(long timeNanos, long allocObjects, long allocSpace) {
        return new PprofBuilder().sampleType("alloc_objects", "count").sampleType("alloc_space", "bytes")
                .sampleType("inuse_objects", "count").sampleType("inuse_space", "bytes")
                .periodType("space", "bytes").period(512 * 1024).timeNanos(timeNanos)
                .stack(new long[] {allocObjects, allocSpace, 5, 500}, "main", "alloc");
    }

    // ---------------------------------------------------------------- cumulative memory

    @Test
    void cumulativeMemoryPushedTwiceYieldsDeltas() throws Exception {
        String app = KilnClient.unique("cumulative");
        long t = NOW_MS * 1_000_000L;
        PprofBuilder first = new PprofBuilder().sampleType("alloc_space", "bytes").sampleType("inuse_space", "bytes")
                .periodType("space", "bytes").period(524288).timeNanos(t - 20_000_000_000L)
                .stack(new long[] {1000, 300}, "main", "a").stack(new long[] {500, 100}, "main", "b");
        PprofBuilder second = new PprofBuilder().sampleType("alloc_space", "bytes").sampleType("inuse_space", "bytes")
                .periodType("space", "bytes").period(524288).timeNanos(t - 10_000_000_000L)
                .stack(new long[] {1500, 200}, "main", "a").stack(new long[] {500, 100}, "main", "b")
                .stack(new long[] {200, 50}, "main", "c");
        push(app, "memory", first.bytes());
        push(app, "memory", second.bytes());

        // Allocations: only the growth between the two (a +500, b +0, c new +200), not 1000+1500.
        assertEquals(Map.of("main;a", 500L, "main;c", 200L), FlameGraphAssert.selfByPath(client.flameGraph(ALLOC_SPACE, KilnClient.sel(app))));
        // In-use memory is a gauge: both profiles are stored as sent.
        assertEquals(Map.of("main;a", 500L, "main;b", 200L, "main;c", 50L),
                FlameGraphAssert.selfByPath(client.flameGraph(INUSE_SPACE, KilnClient.sel(app))));
    }

    @Test
    void godeltaprofProfilesAreStoredAsMemoryWithoutServerDeltas() throws Exception {
        String app = KilnClient.unique("godeltaprof");
        long t = NOW_MS * 1_000_000L;
        push(app, "godeltaprof_memory", heap(t - 20_000_000_000L, 10, 1000).bytes());
        push(app, "godeltaprof_memory", heap(t - 10_000_000_000L, 10, 1000).bytes());

        assertEquals(Map.of("main;alloc", 2000L), FlameGraphAssert.selfByPath(client.flameGraph(ALLOC_SPACE, KilnClient.sel(app))));
    }

    static void push(String app, String name, byte[] pprof) throws Exception {
        client.connectProto("push.v1.PusherService/Push", PushRequest.newBuilder().addSeries(RawProfileSeries.newBuilder()
                .addLabels(LabelPair.newBuilder().setName("__name__").setValue(name))
                .addLabels(LabelPair.newBuilder().setName("service_name").setValue(app))
                .addSamples(RawSample.newBuilder().setRawProfile(ByteString.copyFrom(pprof)))).build());
    }

    // ---------------------------------------------------------------- traces to profiles (Go SDK span profiles)

    @Test
    void spanIdsFilterBySelectorAndSpanNamesAreOrdinaryLabels() throws Exception {
        String app = KilnClient.unique("spans");
        byte[] pprof = PprofBuilder.cpu().timeNanos(NOW_MS * 1_000_000L)
                .labels("span_id", "00000000000000a1", "span_name", "GET /checkout").stack(40_000_000, "main", "checkout")
                .labels("span_id", "00000000000000b2", "span_name", "GET /cart").stack(20_000_000, "main", "cart")
                .stack(10_000_000, "main", "idle").bytes();
        push(app, "process_cpu", pprof);

        assertEquals(Map.of("main;checkout", 40_000_000L), FlameGraphAssert.selfByPath(
                client.flameGraph(CPU, "{service_name=\"" + app + "\", span_name=\"GET /checkout\"}")));
        var bySpan = SelectMergeStacktracesResponse.parseFrom(client.connectProto(
                "querier.v1.QuerierService/SelectMergeStacktraces", SelectMergeStacktracesRequest.newBuilder()
                        .setProfileTypeID(CPU).setLabelSelector(KilnClient.sel(app)).addSpanSelector("00000000000000b2")
                        .setStart(NOW_MS - 60_000).setEnd(NOW_MS + 60_000).build()));
        assertEquals(Map.of("main;cart", 20_000_000L), FlameGraphAssert.selfByPath(bySpan.getFlamegraph()));
        assertEquals(Map.of("main;checkout", 40_000_000L, "main;cart", 20_000_000L, "main;idle", 10_000_000L),
                FlameGraphAssert.selfByPath(client.flameGraph(CPU, KilnClient.sel(app))));
    }

    // ---------------------------------------------------------------- /ingest variants

    static HttpResponse<String> ingest(String query, String contentType, byte[] body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(client.base() + "/ingest?" + query))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static String range() {
        return "&from=" + (NOW_MS / 1000 - 10) + "&until=" + NOW_MS / 1000;
    }

    @Test
    void speedscopeImportInMilliseconds() throws Exception {
        String app = KilnClient.unique("speedscope");
        String file = "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
                + "\"shared\":{\"frames\":[{\"name\":\"main\"},{\"name\":\"parse\"},{\"name\":\"render\"}]},"
                + "\"profiles\":[{\"type\":\"sampled\",\"name\":\"trace.json\",\"unit\":\"milliseconds\",\"startValue\":0,"
                + "\"endValue\":10,\"samples\":[[0,1],[0,2],[0,1]],\"weights\":[2.5,4,1]}]}";
        HttpResponse<String> r = ingest("name=" + URLEncoder.encode(app, StandardCharsets.UTF_8) + "&format=speedscope" + range(),
                "application/json", file.getBytes(StandardCharsets.UTF_8));
        assertEquals(200, r.statusCode(), r.body());

        assertEquals(Map.of("main;parse", 3_500_000L, "main;render", 4_000_000L),
                FlameGraphAssert.selfByPath(client.flameGraph(CPU, "{service_name=\"" + app + "\", profile_name=\"trace.json\"}")));
    }

    @Test
    void pySpyFunctionNamesGetTheirFileName() throws Exception {
        String app = KilnClient.unique("pyspy");
        byte[] pprof = PprofBuilder.cpu().timeNanos(NOW_MS * 1_000_000L).stack(10_000_000, "main", "work").bytes();
        HttpResponse<String> r = ingest("name=" + app + "&format=pprof&spyName=pyspy" + range(), "application/octet-stream", pprof);
        assertEquals(200, r.statusCode(), r.body());

        assertEquals(Map.of("main.go main;work.go work", 10_000_000L),
                FlameGraphAssert.selfByPath(client.flameGraph(CPU, KilnClient.sel(app))));
    }

    @Test
    void legacyBinaryFormatsAreRefusedByName() throws Exception {
        for (String format : new String[] {"trie", "tree"}) {
            HttpResponse<String> r = ingest("name=legacy&format=" + format + range(), "application/octet-stream", new byte[] {1, 2, 3});
            assertEquals(400, r.statusCode());
            assertTrue(r.body().contains("format '" + format + "'"), r.body());
        }
    }

    // ---------------------------------------------------------------- pull mode

    @Test
    void scraperPullsPprofUnderTheConfiguredLabels() throws Exception {
        String sel = "{service_name=\"" + JOB + "\", job=\"" + JOB + "\", env=\"it\", instance=\"127.0.0.1:"
                + pprofServer.getAddress().getPort() + "\"}";
        long deadline = System.currentTimeMillis() + 60_000;
        Map<String, Long> cpu = Map.of();
        long allocObjects = 0;
        while (System.currentTimeMillis() < deadline) {
            cpu = FlameGraphAssert.selfByPath(client.flameGraph(CPU, sel));
            allocObjects = client.flameGraph(ALLOC_OBJECTS, sel).getTotal();
            if (!cpu.isEmpty() && heapRequests.get() >= 4 && allocObjects == 20) {
                break;
            }
            Thread.sleep(500);
        }
        // CPU: every scrape adds 70 ms handle and 30 ms gc.
        assertTrue(cpu.getOrDefault("main;serve;handle", 0L) > 0, cpu.toString());
        assertEquals(cpu.get("main;serve;handle") * 3, cpu.get("main;gc") * 7, cpu.toString());
        // Heap allocations grew 10 -> 20 -> 30 and then stayed: the stored deltas sum to 20.
        assertEquals(20, allocObjects, "heap requests: " + heapRequests.get());
        assertTrue(client.flameGraph("goroutine:goroutine:count:goroutine:count", sel).getTotal() >= 4);

        // The CPU endpoint was asked for a delta profile of scrape_interval - 1s; mutex was disabled.
        assertTrue(requests.contains("/debug/pprof/profile?seconds=1"), requests.toString());
        assertTrue(requests.stream().noneMatch(r -> r.startsWith("/debug/pprof/mutex")), requests.toString());

        SeriesResponse series = SeriesResponse.parseFrom(client.connectProto("querier.v1.QuerierService/Series",
                SeriesRequest.newBuilder().addMatchers("{service_name=\"" + JOB + "\"}").addLabelNames("__name__")
                        .addLabelNames("job").addLabelNames("env").setStart(NOW_MS - 60_000).setEnd(System.currentTimeMillis() + 60_000).build()));
        Set<Map<String, String>> sets = new java.util.HashSet<>();
        for (var s : series.getLabelsSetList()) {
            Map<String, String> m = new TreeMap<>();
            s.getLabelsList().forEach(p -> m.put(p.getName(), p.getValue()));
            sets.add(m);
        }
        assertEquals(Set.of(Map.of("__name__", "process_cpu", "job", JOB, "env", "it"),
                Map.of("__name__", "memory", "job", JOB, "env", "it"),
                Map.of("__name__", "goroutine", "job", JOB, "env", "it")), sets);
    }
}
