package dev.kiln.queryfrontend.ui;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.server.KilnServer;
import dev.kiln.common.server.ServerConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The UI's HTTP side on a real server: routes, content types, caching, gzip, and what it must not serve. */
class WebUiIT {
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static KilnServer server;
    static WebUi ui;
    static String base;

    @BeforeAll
    static void start() {
        server = new KilnServer(new ServerConfig("127.0.0.1", 0, "127.0.0.1", 0, 1 << 20, 1 << 20, Duration.ofSeconds(10), true),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        ui = new WebUi(true);
        ui.register(server);
        server.start();
        base = "http://127.0.0.1:" + server.httpPort();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).GET();
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse("");
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = WebUi.class.getClassLoader().getResourceAsStream(WebUi.RESOURCE_DIR + "/" + name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void pageLinksVersionedAssetsAndIsAlwaysRevalidated() throws Exception {
        HttpResponse<byte[]> r = get("/");
        String html = new String(r.body(), StandardCharsets.UTF_8);
        assertEquals(200, r.statusCode());
        assertEquals("text/html; charset=utf-8", header(r, "content-type"));
        assertEquals("no-cache", header(r, "cache-control"));
        assertTrue(header(r, "content-security-policy").startsWith("default-src 'self'"), header(r, "content-security-policy"));
        assertTrue(ui.version().matches("v[0-9a-f]{12}"), ui.version());
        assertTrue(html.contains("<script type=\"module\" src=\"ui/" + ui.version() + "/app.js\"></script>"), html);
        assertTrue(html.contains("<meta name=\"kiln-multitenancy\" content=\"true\">"), html);
        assertTrue(!html.contains("__KILN_"), "every placeholder is filled");
    }

    @Test
    void versionedAssetsAreImmutableGzippedAndExact() throws Exception {
        HttpResponse<byte[]> r = get("/ui/" + ui.version() + "/app.js", "Accept-Encoding", "gzip");
        assertEquals(200, r.statusCode());
        assertEquals("application/javascript; charset=utf-8", header(r, "content-type"));
        assertEquals("public, max-age=31536000, immutable", header(r, "cache-control"));
        assertEquals("gzip", header(r, "content-encoding"));
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(r.body()))) {
            assertArrayEquals(resource("app.js"), in.readAllBytes());
        }
        assertEquals("text/css; charset=utf-8", header(get("/ui/" + ui.version() + "/style.css"), "content-type"));
        assertEquals("image/svg+xml; charset=utf-8", header(get("/ui/" + ui.version() + "/favicon.svg"), "content-type"));
    }

    @Test
    void unversionedAndStaleVersionAssetsAreRevalidated() throws Exception {
        HttpResponse<byte[]> plain = get("/ui/flamegraph.js");
        assertEquals(200, plain.statusCode());
        assertEquals("no-cache", header(plain, "cache-control"));
        assertArrayEquals(resource("flamegraph.js"), plain.body());
        HttpResponse<byte[]> stale = get("/ui/v000000000000/flamegraph.js");
        assertEquals(200, stale.statusCode());
        assertEquals("no-cache", header(stale, "cache-control"));
    }

    @Test
    void matchingEtagAnswersNotModified() throws Exception {
        String etag = header(get("/ui/style.css"), "etag");
        assertTrue(etag.matches("\"[0-9a-f]{16}\""), etag);
        HttpResponse<byte[]> r = get("/ui/style.css", "If-None-Match", etag);
        assertEquals(304, r.statusCode());
        assertEquals(0, r.body().length);
        assertEquals(200, get("/ui/style.css", "If-None-Match", "\"other\"").statusCode());
    }

    @Test
    void unknownOrNestedPathsAreNotFound() throws Exception {
        for (String path : new String[] {"/ui/missing.js", "/ui/a/b/app.js", "/ui/x/app.js", "/ui/.hidden", "/ui/", "/ui/" + ui.version() + "/"}) {
            assertEquals(404, get(path).statusCode(), path);
        }
    }

    @Test
    void pathsLeavingTheUiDirectoryAreRefused() throws Exception {
        // Armeria rejects some of these itself (400); none may reach a file.
        for (String path : new String[] {"/ui/%2e%2e/pom.xml", "/ui/..%2fpom.xml", "/ui/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/ui/" + ui.version() + "/..%2f..%2fpom.xml"}) {
            int status = get(path).statusCode();
            assertTrue(status == 400 || status == 404, path + " answered " + status);
        }
    }

    @Test
    void theRootRouteDoesNotShadowOtherRoutes() throws Exception {
        assertEquals("ready\n", new String(get("/ready").body(), StandardCharsets.UTF_8));
        assertTrue(new String(get("/metrics").body(), StandardCharsets.UTF_8).contains("# TYPE"));
        assertEquals(404, get("/render").statusCode());
    }
}
