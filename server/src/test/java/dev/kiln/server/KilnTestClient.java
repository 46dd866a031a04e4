package dev.kiln.server;

import com.google.protobuf.Message;
import dev.kiln.common.config.ConfigLoader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** Starts a real Kiln on free ports and talks to it over HTTP the way agents and Grafana do. */
final class KilnTestClient implements AutoCloseable {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    final Kiln kiln;
    final String base;

    private KilnTestClient(Kiln kiln) {
        this.kiln = kiln;
        this.base = "http://127.0.0.1:" + kiln.server().httpPort();
    }

    /** A started process with its state under {@code dir}, plus any extra flags. */
    static KilnTestClient start(Path dir, String... extraFlags) {
        List<String> flags = new ArrayList<>(List.of("-server.http-listen-port=0", "-server.grpc-listen-port=0",
                "-distributor.receivers.otlp.protocols.grpc.endpoint=127.0.0.1:0",
                "-pyroscopedb.data-path=" + dir.resolve("data"), "-storage.filesystem.dir=" + dir.resolve("storage"),
                "-compactor.data-dir=" + dir.resolve("compactor")));
        flags.addAll(List.of(extraFlags));
        Kiln kiln = new Kiln(new ConfigLoader(Kiln.keys()).load(flags.toArray(String[]::new), k -> null));
        kiln.start();
        return new KilnTestClient(kiln);
    }

    int httpPort() {
        return kiln.server().httpPort();
    }

    HttpResponse<String> ingest(String query, String contentType, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/ingest?" + query)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A Connect unary call with Grafana's headers; {@code headers} are extra name/value pairs. */
    HttpResponse<byte[]> connectProto(String path, Message m, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/" + path))
                .header("Content-Type", "application/proto")
                .header("Connect-Protocol-Version", "1")
                .header("Accept-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(m.toByteArray()));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> connectJson(String path, String json, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/" + path))
                .header("Content-Type", "application/json")
                .header("Connect-Protocol-Version", "1")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<String> get(String pathAndQuery, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + pathAndQuery)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The response body, gunzipped when the server compressed it. */
    static byte[] body(HttpResponse<byte[]> r) {
        if (r.headers().firstValue("content-encoding").orElse("").equals("gzip")) {
            try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(r.body()))) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        return r.body();
    }

    static String text(HttpResponse<byte[]> r) {
        return new String(body(r), StandardCharsets.UTF_8);
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        kiln.close();
    }
}
