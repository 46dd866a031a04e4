package dev.kiln.common.jfr;

import io.pyroscope.PyroscopeAsyncProfiler;
import io.pyroscope.labels.v2.LabelsSet;
import io.pyroscope.labels.v2.Pyroscope;
import io.pyroscope.labels.v2.ScopedContext;
import io.pyroscope.vendor.one.profiler.AsyncProfiler;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Child-JVM program of {@link AsyncProfilerConversionIT}: profiles a known workload with the
 * async-profiler bundled in the Pyroscope Java agent, started with the options the agent itself
 * uses, while the workers run inside the agent's labelled {@link ScopedContext}s.
 *
 * <p>Arguments: cpu+alloc+lock JFR file, wall JFR file, LabelsSnapshot file.
 */
public final class AsyncProfilerWorkload {
    private static final Object MONITOR = new Object();
    private static volatile long sink;

    private AsyncProfilerWorkload() {
    }

    public static void main(String[] args) throws Exception {
        AsyncProfiler profiler = PyroscopeAsyncProfiler.getAsyncProfiler();
        ScopedContext.ENABLED.set(true);

        profiler.execute("start,event=itimer,interval=1000000,alloc=65536,lock=10000,file=" + args[0] + ",jfr");
        runWorkers(1500, false);
        profiler.execute("stop");

        profiler.execute("start,event=wall,interval=5000000,file=" + args[1] + ",jfr");
        runWorkers(1000, true);
        profiler.execute("stop");

        Files.write(Path.of(args[2]), Pyroscope.LabelsWrapper.dump().toByteArray());
    }

    private static void runWorkers(long millis, boolean withIdleThread) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (String worker : List.of("w0", "w1")) {
            threads.add(new Thread(() -> {
                try (ScopedContext context = new ScopedContext(new LabelsSet("worker", worker))) {
                    work(end);
                }
            }, "worker-" + worker));
        }
        if (withIdleThread) {
            threads.add(new Thread(() -> idle(end), "idler"));
        }
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join();
        }
    }

    private static void work(long end) {
        for (int i = 0; System.nanoTime() < end; i++) {
            sink += hot(300_000);
            contend();
            if (i % 4 == 0) {
                allocate();
            }
        }
    }

    private static long hot(int iterations) {
        long x = sink;
        for (int i = 0; i < iterations; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
        }
        return x;
    }

    private static void contend() {
        synchronized (MONITOR) {
            sink += hot(100_000);
        }
    }

    private static void allocate() {
        for (int i = 0; i < 64; i++) {
            sink += new byte[4096].length;
        }
    }

    private static void idle(long end) {
        while (System.nanoTime() < end) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
