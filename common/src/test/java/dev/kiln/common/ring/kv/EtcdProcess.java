package dev.kiln.common.ring.kv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real single-node etcd (Debian's {@code etcd-server} binary) on free loopback ports with a
 * temporary data directory, for tests. {@link #restart()} keeps ports and data, to test clients
 * riding out an outage.
 *
 * <pre>{@code
 * EtcdProcess.assumeInstalled();
 * try (EtcdProcess etcd = EtcdProcess.start()) { ... etcd.endpoint() ... }
 * }</pre>
 */
public final class EtcdProcess implements AutoCloseable {

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    private static final int START_ATTEMPTS = 3;
    private static EtcdProcess shared;

    private final Path binary;
    private final Path directory;
    private final int clientPort;
    private final int peerPort;
    private Process process;

    private EtcdProcess(Path binary, Path directory, int clientPort, int peerPort) {
        this.binary = binary;
        this.directory = directory;
        this.clientPort = clientPort;
        this.peerPort = peerPort;
    }

    /** The etcd binary on the PATH or at {@code /usr/bin/etcd}. */
    public static Optional<Path> findBinary() {
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.concat(Stream.of(path.split(java.io.File.pathSeparator)), Stream.of("/usr/bin"))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, "etcd"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** Skips the calling test when etcd is not installed. */
    public static void assumeInstalled() {
        Assumptions.assumeTrue(findBinary().isPresent(), "etcd binary not found: install Debian package etcd-server");
    }

    /**
     * One etcd for the whole test JVM, started on first use and stopped at JVM exit. Tests sharing
     * it keep apart by using distinct key prefixes.
     */
    public static synchronized EtcdProcess shared() {
        assumeInstalled();
        if (shared == null) {
            try {
                shared = start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            EtcdProcess process = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(process::close, "etcd-test-shutdown"));
        }
        return shared;
    }

    /** Starts a new etcd and waits until it reports healthy. */
    public static EtcdProcess start() throws IOException {
        Path binary = findBinary().orElseThrow(() -> new IOException(
                "etcd binary not found: install Debian package etcd-server"));
        IOException last = null;
        // A free port can be taken by someone else between probing and etcd binding it: retry.
        for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
            EtcdProcess etcd = new EtcdProcess(binary, Files.createTempDirectory("kiln-etcd-"), freePort(), freePort());
            try {
                etcd.launch();
                return etcd;
            } catch (IOException e) {
                etcd.close();
                last = e;
            }
        }
        throw last;
    }

    /** Client URL, e.g. {@code http://127.0.0.1:40123}. */
    public String endpoint() {
        return "http://127.0.0.1:" + clientPort;
    }

    /** Kills etcd (SIGTERM) and waits for it to exit; data is kept. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Starts etcd again on the same ports and data directory. */
    public synchronized void restart() throws IOException {
        stop();
        launch();
    }

    /** Stops etcd and deletes its data directory. */
    @Override
    public synchronized void close() {
        stop();
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private synchronized void launch() throws IOException {
        String clientUrl = endpoint();
        String peerUrl = "http://127.0.0.1:" + peerPort;
        Path log = directory.resolve("etcd.log");
        process = new ProcessBuilder(List.of(binary.toString(),
                        "--name", "kiln-test",
                        "--data-dir", directory.resolve("data").toString(),
                        "--listen-client-urls", clientUrl,
                        "--advertise-client-urls", clientUrl,
                        "--listen-peer-urls", peerUrl,
                        "--initial-advertise-peer-urls", peerUrl,
                        "--initial-cluster", "kiln-test=" + peerUrl,
                        "--logger", "zap",
                        "--log-outputs", "stderr"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        awaitHealthy(log);
    }

    private void awaitHealthy(Path log) throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest health = HttpRequest.newBuilder(URI.create(endpoint() + "/health"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IOException("etcd exited with code " + process.exitValue() + ": " + tail(log));
                }
                try {
                    HttpResponse<String> response = http.send(health, HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 200 && response.body().contains("\"health\":\"true\"")) {
                        return;
                    }
                } catch (IOException notYetListening) {
                    // etcd is still starting
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for etcd", e);
        }
        throw new IOException("etcd not healthy within " + STARTUP_TIMEOUT + ": " + tail(log));
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
