package dev.kiln.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Message;
import dev.kiln.proto.querier.v1.FlameGraph;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesRequest;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;

/** Queries a running Kiln over Connect as Grafana's data source does, for integration tests. */
final class KilnClient {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final String base;
    private final long nowMs;

    /** @param nowMs queries cover the hour before this time and the minute after it */
    KilnClient(int httpPort, long nowMs) {
        this.base = "http://127.0.0.1:" + httpPort;
        this.nowMs = nowMs;
    }

    /** Starts a Kiln on free ports with its state under {@code dir}, plus the given flags. */
    static Kiln startKiln(Path dir, String... flags) {
        return KilnTestClient.start(dir, flags).kiln;
    }

    String base() {
        return base;
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static String sel(String service) {
        return "{service_name=\"" + service + "\"}";
    }

    FlameGraph flameGraph(String profileType, String selector) throws Exception {
        return SelectMergeStacktracesResponse.parseFrom(connectProto("querier.v1.QuerierService/SelectMergeStacktraces",
                SelectMergeStacktracesRequest.newBuilder().setProfileTypeID(profileType).setLabelSelector(selector)
                        .setStart(nowMs - 3_600_000L).setEnd(nowMs + 60_000L).build())).getFlamegraph();
    }

    /** A Connect unary call with a binary body; fails unless the answer is 200. Returns the (gunzipped) body. */
    byte[] connectProto(String path, Message m) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/" + path))
                .header("Content-Type", "application/proto").header("Connect-Protocol-Version", "1")
                .header("Accept-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(m.toByteArray())).build(), HttpResponse.BodyHandlers.ofByteArray());
        byte[] body = KilnTestClient.body(r);
        byte[] finalBody = body;
        assertEquals(200, r.statusCode(), () -> path + ": " + new String(finalBody, StandardCharsets.UTF_8));
        return body;
    }
}
