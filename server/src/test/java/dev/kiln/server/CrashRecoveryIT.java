package dev.kiln.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.testing.PprofBuilder;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesRequest;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesResponse;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The launcher itself, run as a child process, is killed with SIGKILL right after acknowledging
 * pushes; a new process on the same directories answers with every acknowledged profile.
 */
class CrashRecoveryIT {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static Process launch(Path dir, int httpPort) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                "dev.kiln.server.Main", "-server.http-listen-port=" + httpPort, "-server.grpc-listen-port=0",
                "-distributor.receivers.otlp.protocols.grpc.endpoint=", "-pyroscopedb.data-path=" + dir.resolve("data"),
                "-compactor.data-dir=" + dir.resolve("compactor"),
                "-storage.filesystem.dir=" + dir.resolve("storage")));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("kiln-" + httpPort + ".log").toFile()).start();
    }

    static void awaitReady(int port, Process p) throws Exception {
        for (int i = 0; i < 600; i++) {
            assertTrue(p.isAlive(), "the launcher exited early");
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("launcher not ready on port " + port);
    }

    static long total(int port, String app, long now) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/querier.v1.QuerierService/SelectMergeStacktraces"))
                .header("Content-Type", "application/proto")
                .POST(HttpRequest.BodyPublishers.ofByteArray(SelectMergeStacktracesRequest.newBuilder()
                        .setProfileTypeID(SingleProcessIT.CPU).setLabelSelector("{service_name=\"" + app + "\"}")
                        .setStart(now - 3_600_000L).setEnd(now + 60_000L).build().toByteArray())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        return SelectMergeStacktracesResponse.parseFrom(r.body()).getFlamegraph().getTotal();
    }

    @Test
    void everyAcknowledgedProfileSurvivesKillDashNine() throws Exception {
        Path dir = Files.createTempDirectory("kiln-crash");
        int port = freePort();
        Process kiln = launch(dir, port);
        long now = System.currentTimeMillis();
        long acknowledged = 0;
        try {
            awaitReady(port, kiln);
            for (int i = 1; i <= 50; i++) {
                byte[] pprof = PprofBuilder.cpu().timeNanos((now + i) * 1_000_000L).stack(i, "main", "work" + (i % 5)).bytes();
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                                + "/ingest?name=crashy&format=pprof")).POST(HttpRequest.BodyPublishers.ofByteArray(pprof)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                acknowledged += i;
            }
        } finally {
            kiln.toHandle().destroyForcibly(); // SIGKILL: no shutdown hook, no flush
            kiln.waitFor(30, TimeUnit.SECONDS);
        }
        assertEquals(50 * 51 / 2, acknowledged);

        int port2 = freePort();
        Process restarted = launch(dir, port2);
        try {
            awaitReady(port2, restarted);
            assertEquals(acknowledged, total(port2, "crashy", now), "replayed from the write-ahead log");
        } finally {
            restarted.destroy();
            restarted.waitFor(60, TimeUnit.SECONDS);
        }
    }
}
