package dev.kiln.server;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Kiln cluster on loopback for tests: every component a separate JVM started from its own
 * runnable jar ({@code <module>/target/kiln-<module>.jar}, built by the reactor before the server
 * module's tests), all reading one kiln.yaml. Ports are picked by the processes (port 0) and read
 * from their "server listening" log line.
 */
final class LocalCluster implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("msg=\"server listening\".*http_port=\"?(\\d+)\"?.*grpc_port=\"?(-?\\d+)");
    private static final Path REPO = Path.of("").toAbsolutePath().getParent();

    private final Path dir;
    private final Path config;
    private final Map<String, Node> nodes = new LinkedHashMap<>();

    LocalCluster(Path dir, String yaml) throws IOException {
        this.dir = dir;
        this.config = dir.resolve("kiln.yaml");
        Files.writeString(config, yaml);
    }

    /** The runnable jar of {@code module}; fails with instructions when the reactor has not packaged it. */
    static Path jar(String module) {
        Path jar = REPO.resolve(module).resolve("target").resolve("kiln-" + module + ".jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: build the component jars first (mvn -o package -DskipTests)");
        }
        return jar;
    }

    /** One component process. */
    final class Node {
        final String name;
        final String module;
        final List<String> flags;
        Process process;
        int httpPort;
        int grpcPort;
        Path log;
        int starts;

        Node(String name, String module, List<String> flags) {
            this.name = name;
            this.module = module;
            this.flags = flags;
        }

        void launch() throws IOException {
            starts++;
            log = dir.resolve(name + "-" + starts + ".log");
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
                    "-jar", jar(module).toString(), "-config.file=" + config));
            cmd.addAll(flags);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("KILN_LOG_LEVEL", "INFO");
            process = pb.start();
            httpPort = 0;
        }

        /** Waits for the ports in the log, then for /ready. */
        void awaitReady(Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (httpPort == 0) {
                if (!process.isAlive()) {
                    throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + tail());
                }
                Matcher m = LISTENING.matcher(Files.exists(log) ? Files.readString(log) : "");
                if (m.find()) {
                    httpPort = Integer.parseInt(m.group(1));
                    grpcPort = Integer.parseInt(m.group(2));
                } else {
                    check(deadline, "listen");
                    Thread.sleep(100);
                }
            }
            while (true) {
                if (!process.isAlive()) {
                    throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + tail());
                }
                try {
                    if (get("/ready").statusCode() == 200) {
                        return;
                    }
                } catch (IOException e) {
                    // Not accepting yet.
                }
                check(deadline, "be ready");
                Thread.sleep(100);
            }
        }

        private void check(long deadline, String what) throws IOException {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " did not " + what + " in time:\n" + tail());
            }
        }

        String base() {
            return "http://127.0.0.1:" + httpPort;
        }

        HttpResponse<String> get(String path) throws IOException, InterruptedException {
            return KilnTestClient.HTTP.send(HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> post(String path) throws IOException, InterruptedException {
            return KilnTestClient.HTTP.send(HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofMinutes(2))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        }

        /** SIGKILL: no shutdown hook runs, nothing is flushed. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }

        /** SIGTERM and wait for the graceful shutdown (an ingester leaves its ring and flushes). */
        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new AssertionError(name + " did not stop within 2 minutes");
            }
        }

        String tail() throws IOException {
            if (!Files.exists(log)) {
                return "(no log)";
            }
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        }
    }

    /** Starts a component without waiting; call {@link #awaitAllReady} after starting a batch. */
    Node start(String name, String module, String... flags) throws IOException {
        Node node = new Node(name, module, List.of(flags));
        nodes.put(name, node);
        node.launch();
        return node;
    }

    void awaitAllReady(Duration timeout) throws Exception {
        for (Node n : nodes.values()) {
            if (n.process.isAlive() || n.httpPort == 0) {
                n.awaitReady(timeout);
            }
        }
    }

    Node node(String name) {
        return nodes.get(name);
    }

    List<Node> nodes(String module) {
        return nodes.values().stream().filter(n -> n.module.equals(module)).toList();
    }

    @Override
    public void close() {
        for (Node n : nodes.values()) {
            if (n.process != null && n.process.isAlive()) {
                n.process.destroyForcibly();
            }
        }
        for (Node n : nodes.values()) {
            try {
                if (n.process != null) {
                    n.process.waitFor(30, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
