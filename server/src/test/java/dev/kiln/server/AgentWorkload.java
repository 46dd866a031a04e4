package dev.kiln.server;

import io.pyroscope.labels.v2.LabelsSet;
import io.pyroscope.labels.v2.ScopedContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Child-JVM program of {@link JavaAgentIT}, run with the Pyroscope Java agent attached: two
 * labelled workers burn CPU in {@code hotLoop}, allocate in {@code allocate} and contend on a
 * monitor, for the number of seconds given as the argument.
 */
public final class AgentWorkload {
    private static final Object MONITOR = new Object();
    private static volatile long sink;

    private AgentWorkload() {}

    public static void main(String[] args) throws Exception {
        long end = System.nanoTime() + Long.parseLong(args[0]) * 1_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (String worker : List.of("w0", "w1")) {
            threads.add(new Thread(() -> {
                try (ScopedContext context = new ScopedContext(new LabelsSet("worker", worker))) {
                    work(end);
                }
            }, "worker-" + worker));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
    }

    private static void work(long end) {
        for (int i = 0; System.nanoTime() < end; i++) {
            sink += hotLoop(400_000);
            synchronized (MONITOR) {
                sink += hotLoop(50_000);
            }
            if (i % 2 == 0) {
                allocate();
            }
        }
    }

    private static long hotLoop(int iterations) {
        long x = sink;
        for (int i = 0; i < iterations; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
        }
        return x;
    }

    private static void allocate() {
        for (int i = 0; i < 256; i++) {
            sink += new byte[8192].length;
        }
    }
}
