package dev.kiln.bench;

import dev.kiln.proto.types.v1.LabelPair;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Many times the benchmark's data into an all-in-one Kiln in a child JVM with a small heap and
 * default memory settings: every distinct profile pushed {@code factor} times (each push a new
 * profile), while its heap is sampled from its own {@code /metrics}. The process must neither run
 * out of memory ({@code -XX:+ExitOnOutOfMemoryError} would end it) nor lose data: the flame graph
 * of everything must total exactly {@code factor} times that of the first pass.
 */
final class ScaleRun {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern HEAP_USED = Pattern.compile("(?m)^jvm_memory_used_bytes\\{area=\"heap\"[^}]*} (\\S+)$");
    private static final Pattern LIVE_DATA = Pattern.compile("(?m)^jvm_gc_live_data_size_bytes(?:\\{[^}]*})? (\\S+)$");

    /**
     * @param peakHeapUsedBytes the most heap in use seen (garbage included) in the child's /metrics, sampled every second
     * @param peakLiveDataBytes the largest old generation left after a collection ({@code jvm_gc_live_data_size_bytes})
     * @param blocks            blocks the head was flushed into while pushing (early flushes under the default head limit)
     */
    record Result(int factor, long pushes, long gzipBytes, double pushSeconds, long heapMaxBytes, long peakHeapUsedBytes,
            long peakLiveDataBytes, long firstPassTotal, long total, double queryMillis, long blocks) {}

    private ScaleRun() {}

    static Result run(BenchOptions o, List<String> kilnFlags, Workload w, Path work) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + o.scaleHeapMb() + "m", "-XX:+ExitOnOutOfMemoryError", "--enable-native-access=ALL-UNNAMED",
                "-Dlogback.configurationFile=logback.xml", "-DKILN_LOG_LEVEL=WARN"));
        if (Runtime.version().feature() >= 23) {
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.kiln.server.Main"));
        cmd.addAll(kilnFlags);
        cmd.addAll(List.of("-server.http-listen-port=" + port, "-pyroscopedb.data-path=" + work.resolve("data"),
                "-storage.filesystem.dir=" + work.resolve("storage"), "-compactor.data-dir=" + work.resolve("compactor")));
        Files.createDirectories(work);
        Path log = work.resolve("kiln.log");
        Process kiln = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        String base = "http://127.0.0.1:" + port;
        try {
            awaitReady(kiln, base, log);
            ConnectClient client = new ConnectClient(port);
            long heapMax = (long) o.scaleHeapMb() << 20;
            AtomicLong peakHeap = new AtomicLong();
            AtomicLong peakLive = new AtomicLong();
            Thread sampler = Thread.ofPlatform().name("bench-scale-heap").daemon().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        String metrics = metrics(base);
                        peakHeap.accumulateAndGet(sum(HEAP_USED, metrics), Math::max);
                        peakLive.accumulateAndGet(sum(LIVE_DATA, metrics), Math::max);
                        Thread.sleep(1000);
                    } catch (InterruptedException e) {
                        return;
                    } catch (IOException | RuntimeException e) {
                        // the process is gone or busy: the pushes report it
                    }
                }
            });
            String all = "{}";
            long startMs = w.startMs() - 60_000L;
            long endMs = w.endMs() + 60_000L;
            List<LabelPair>[] labels = IngestLoad.labelPairs(w);
            long gzip = 0;
            long t0 = System.nanoTime();
            try {
                gzip += pushAll(client, w, labels, o.pushClients(), kiln, log);
                long first = QueryLoad.run(client, all, startMs, endMs, 1, 0).total();
                for (int pass = 1; pass < o.scaleFactor(); pass++) {
                    gzip += pushAll(client, w, labels, o.pushClients(), kiln, log);
                }
                double pushSeconds = (System.nanoTime() - t0) / 1e9;
                QueryLoad.Result q = QueryLoad.run(client, all, startMs, endMs, 1, 0);
                if (q.total() != first * o.scaleFactor()) {
                    throw new IllegalStateException("flame graph total after " + o.scaleFactor() + " passes is " + q.total()
                            + ", not " + o.scaleFactor() + " x the first pass's " + first);
                }
                String metrics = metrics(base);
                peakHeap.accumulateAndGet(sum(HEAP_USED, metrics), Math::max);
                peakLive.accumulateAndGet(sum(LIVE_DATA, metrics), Math::max);
                return new Result(o.scaleFactor(), (long) o.scaleFactor() * w.payloads().size(), gzip, pushSeconds, heapMax, peakHeap.get(),
                        peakLive.get(), first, q.total(), q.percentile(50), MemoryBound.countBlocks(work.resolve("storage")));
            } finally {
                sampler.interrupt();
                sampler.join();
            }
        } finally {
            kiln.destroy();
            if (!kiln.waitFor(120, TimeUnit.SECONDS)) {
                kiln.destroyForcibly();
            }
        }
    }

    /** Pushes every payload once from {@code clients} threads; returns the gzip bytes pushed. */
    private static long pushAll(ConnectClient client, Workload w, List<LabelPair>[] labels, int clients, Process kiln, Path log)
            throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicLong bytes = new AtomicLong();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread[] threads = new Thread[clients];
        for (int c = 0; c < clients; c++) {
            threads[c] = Thread.ofPlatform().name("bench-scale-push-" + c).daemon().start(() -> {
                for (int k = next.getAndIncrement(); k < w.payloads().size() && failure.get() == null; k = next.getAndIncrement()) {
                    try {
                        client.call("push.v1.PusherService/Push", IngestLoad.pushRequest(w, labels, k).toByteArray());
                    } catch (RuntimeException e) {
                        failure.compareAndSet(null, e);
                        return;
                    }
                    bytes.addAndGet(w.payloads().get(k).length);
                }
            });
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            if (!kiln.isAlive()) {
                throw new IllegalStateException("Kiln exited (code " + kiln.exitValue() + ") while pushing; last lines of " + log + ":\n"
                        + tail(log), failure.get());
            }
            throw failure.get();
        }
        return bytes.get();
    }

    private static void awaitReady(Process kiln, String base, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!kiln.isAlive()) {
                throw new IllegalStateException("Kiln exited (code " + kiln.exitValue() + ") while starting:\n" + tail(log));
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(base + "/ready")).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("Kiln was not ready within 120 s:\n" + tail(log));
    }

    private static String metrics(String base) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The sum of a gauge's samples (e.g. over the heap pools) in Prometheus text. */
    private static long sum(Pattern gauge, String metrics) {
        long total = 0;
        Matcher m = gauge.matcher(metrics);
        while (m.find()) {
            total += (long) Double.parseDouble(m.group(1));
        }
        return total;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
