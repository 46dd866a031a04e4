package dev.kiln.bench;

import com.google.protobuf.ByteString;
import dev.kiln.proto.push.v1.PushRequest;
import dev.kiln.proto.push.v1.RawProfileSeries;
import dev.kiln.proto.push.v1.RawSample;
import dev.kiln.proto.types.v1.LabelPair;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Pushes the workload's payloads over push.v1 Connect with parallel clients, cycling through them,
 * and measures a window after a warm-up: gzip bytes accepted, and the CPU time of the Kiln process
 * without the clients' threads.
 *
 * <p>The warm-up lasts at least its minimum and until a first push was acknowledged, then goes on
 * while the JIT is still busy (more than
 * {@link #JIT_SETTLED_MS_PER_S} ms of compilation per second), up to its maximum: the server's
 * code paths (Armeria, gRPC, Netty, Kiln) are large, and on a loaded 2-core machine C2 kept
 * compiling for 40-60 s after the first push, which a fixed 5 s warm-up counted as ingest cost
 * (a quarter of the process's CPU). Whatever compilation is left in the window still counts.
 */
final class IngestLoad {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();
    /** Compilation time per second of warm-up below which the JIT counts as settled (5% of a core)... */
    static final long JIT_SETTLED_MS_PER_S = 50;
    /** ...for this many consecutive seconds. */
    static final int JIT_SETTLED_WINDOW_S = 5;
    /** Linux's USER_HZ, the unit of /proc's CPU times. */
    private static final int CLOCK_TICKS_PER_S = 100;
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /**
     * @param gzipBytes        gzip pprof bytes pushed (and acknowledged) in the measured window
     * @param processCpuSeconds CPU time of the whole process in the window (Kiln, clients, GC, JIT)
     * @param clientCpuSeconds CPU time of the push threads in the window
     * @param allPushes        pushes including the warm-up (how often the payloads were repeated)
     * @param warmupSeconds    how long the warm-up lasted
     * @param jitCpuSeconds    CPU time of the JIT compiler threads in the window (-1 where /proc does not show it)
     */
    record Result(long gzipBytes, long pushes, double wallSeconds, double processCpuSeconds, double clientCpuSeconds, long allPushes,
            double warmupSeconds, double jitCpuSeconds) {
        double kilnCpuSeconds() {
            return processCpuSeconds - clientCpuSeconds;
        }

        double mbPerKilnCpuSecond() {
            return gzipBytes / 1e6 / kilnCpuSeconds();
        }

        /** The same without the JIT's compilations: what the process costs once its code is compiled. */
        double mbPerKilnCpuSecondWithoutJit() {
            return gzipBytes / 1e6 / (kilnCpuSeconds() - Math.max(0, jitCpuSeconds));
        }

        double mbPerWallSecond() {
            return gzipBytes / 1e6 / wallSeconds;
        }
    }

    private IngestLoad() {}

    static Result run(ConnectClient client, Workload w, int clients, double warmupSeconds, double maxWarmupSeconds, double seconds)
            throws InterruptedException {
        AtomicLong bytes = new AtomicLong();
        AtomicLong pushes = new AtomicLong();
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        List<LabelPair>[] labels = labelPairs(w);
        Thread[] threads = new Thread[clients];
        for (int c = 0; c < clients; c++) {
            threads[c] = Thread.ofPlatform().name("bench-push-" + c).daemon().unstarted(() -> {
                while (!stop.get() && failure.get() == null) {
                    int k = Math.floorMod(next.getAndIncrement(), w.payloads().size());
                    byte[] payload = w.payloads().get(k);
                    try {
                        client.call("push.v1.PusherService/Push", pushRequest(w, labels, k).toByteArray());
                    } catch (RuntimeException e) {
                        failure.compareAndSet(null, e);
                        return;
                    }
                    bytes.addAndGet(payload.length);
                    pushes.incrementAndGet();
                }
            });
            threads[c].start();
        }
        try {
            long warmupStart = System.nanoTime();
            Thread.sleep((long) (warmupSeconds * 1000));
            // A cold process can take longer than a short warm-up for its first push (class loading).
            while (pushes.get() == 0 && failure.get() == null) {
                Thread.sleep(10);
            }
            waitForJit(warmupStart + (long) (maxWarmupSeconds * 1e9), failure);
            double warmedUp = (System.nanoTime() - warmupStart) / 1e9;
            long jit0 = compilerThreadTicks();
            long bytes0 = bytes.get();
            long pushes0 = pushes.get();
            long wall0 = System.nanoTime();
            long process0 = OS.getProcessCpuTime();
            long client0 = cpu(threads);
            Thread.sleep((long) (seconds * 1000));
            long client1 = cpu(threads);
            long process1 = OS.getProcessCpuTime();
            long wall1 = System.nanoTime();
            long pushes1 = pushes.get();
            long bytes1 = bytes.get();
            long jit1 = compilerThreadTicks();
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            if (failure.get() != null) {
                throw failure.get();
            }
            return new Result(bytes1 - bytes0, pushes1 - pushes0, (wall1 - wall0) / 1e9,
                    (process1 - process0) / 1e9, (client1 - client0) / 1e9, pushes.get(), warmedUp,
                    jit0 < 0 || jit1 < 0 ? -1 : (jit1 - jit0) / (double) CLOCK_TICKS_PER_S);
        } finally {
            stop.set(true);
        }
    }

    /**
     * Sleeps until the JIT compiled less than the settled rate over {@link #JIT_SETTLED_WINDOW_S}
     * consecutive seconds (a single quiet second proved too short: compilation resumed), or until
     * {@code deadlineNanos}.
     */
    private static void waitForJit(long deadlineNanos, AtomicReference<RuntimeException> failure) throws InterruptedException {
        if (jitMillis() < 0) {
            return;
        }
        int quietSeconds = 0;
        while (quietSeconds < JIT_SETTLED_WINDOW_S && System.nanoTime() < deadlineNanos && failure.get() == null) {
            long before = jitMillis();
            long t0 = System.nanoTime();
            Thread.sleep(Math.max(1, Math.min(1000, (deadlineNanos - t0) / 1_000_000)));
            double seconds = (System.nanoTime() - t0) / 1e9;
            quietSeconds = jitMillis() - before < JIT_SETTLED_MS_PER_S * seconds ? quietSeconds + 1 : 0;
        }
    }

    /**
     * CPU time (clock ticks) of this process's JIT compiler threads, from /proc (HotSpot names
     * them "C1/C2 CompilerThreadN", cut to 15 characters there); -1 where that is not readable.
     */
    private static long compilerThreadTicks() {
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return -1;
        }
        long ticks = 0;
        try (Stream<Path> threads = Files.list(tasks)) {
            for (Path t : (Iterable<Path>) threads::iterator) {
                String stat;
                try {
                    stat = Files.readString(t.resolve("stat"));
                } catch (IOException e) {
                    continue; // the thread ended
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return ticks;
    }

    /** Total JIT compilation time so far, or -1 where the JVM does not report it. */
    private static long jitMillis() {
        return JIT != null && JIT.isCompilationTimeMonitoringSupported() ? JIT.getTotalCompilationTime() : -1;
    }

    private static long cpu(Thread[] threads) {
        long sum = 0;
        for (Thread t : threads) {
            sum += Math.max(0, THREADS.getThreadCpuTime(t.threadId()));
        }
        return sum;
    }

    @SuppressWarnings("unchecked")
    /** A push of payload {@code k} with its series' labels and a fresh profile id (each push is a new profile). */
    static PushRequest pushRequest(Workload w, List<LabelPair>[] labels, int k) {
        return PushRequest.newBuilder().addSeries(RawProfileSeries.newBuilder()
                .addAllLabels(labels[w.seriesOf()[k]])
                .addSamples(RawSample.newBuilder().setRawProfile(ByteString.copyFrom(w.payloads().get(k))).setID(UUID.randomUUID().toString())))
                .build();
    }

    /** Per series of the workload, its labels as push.v1 pairs. */
    static List<LabelPair>[] labelPairs(Workload w) {
        List<LabelPair>[] out = new List[w.series().size()];
        for (int s = 0; s < out.length; s++) {
            String[] kv = w.series().get(s);
            List<LabelPair> pairs = new ArrayList<>();
            for (int i = 0; i < kv.length; i += 2) {
                pairs.add(LabelPair.newBuilder().setName(kv[i]).setValue(kv[i + 1]).build());
            }
            out[s] = pairs;
        }
        return out;
    }
}
