package dev.kiln.common.testing;

import jdk.jfr.Recording;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Records a real JFR file with the JDK's own Flight Recorder while a workload with a known hot
 * method ({@code spin}), monitor contention ({@code contendMonitor}), parking ({@code parkBriefly})
 * and allocation ({@code allocate}) runs for 1.5 s, with execution samples every 10 ms.
 */
public final class JdkFlightRecording {
    /** The workload's class as JFR names it in frames. */
    public static final String CLASS_SYMBOL = "dev/kiln/common/testing/JdkFlightRecording";

    private static final Object MONITOR = new Object();
    private static volatile long sink;

    /**
     * @param jfr        the recording
     * @param startNanos wall-clock time just before recording started, in ns since the epoch
     * @param endNanos   wall-clock time just after it stopped
     */
    public record Recorded(byte[] jfr, long startNanos, long endNanos) {
    }

    private JdkFlightRecording() {
    }

    public static Recorded record() throws InterruptedException, IOException {
        long start = System.currentTimeMillis() * 1_000_000L;
        byte[] jfr;
        try (Recording recording = new Recording()) {
            recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10));
            recording.enable("jdk.ObjectAllocationSample").with("throttle", "5000/s");
            recording.enable("jdk.JavaMonitorEnter").withThreshold(Duration.ZERO);
            recording.enable("jdk.ThreadPark").withThreshold(Duration.ZERO);
            recording.start();
            runWorkload();
            recording.stop();
            try (InputStream in = recording.getStream(null, null)) {
                jfr = in.readAllBytes();
            }
        }
        return new Recorded(jfr, start, System.currentTimeMillis() * 1_000_000L);
    }

    private static void runWorkload() throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
        CountDownLatch holderReady = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            synchronized (MONITOR) {
                holderReady.countDown();
                sleep(30);
            }
            while (System.nanoTime() < end) {
                synchronized (MONITOR) {
                    sleep(30);
                }
                sleep(5);
            }
        }, "monitor-holder");
        holder.start();
        holderReady.await();
        Thread contender = new Thread(() -> {
            while (System.nanoTime() < end) {
                contendMonitor();
            }
        }, "monitor-contender");
        Thread parker = new Thread(() -> {
            while (System.nanoTime() < end) {
                parkBriefly();
            }
        }, "parker");
        Thread allocator = new Thread(() -> {
            while (System.nanoTime() < end) {
                allocate();
                sleep(2);
            }
        }, "allocator");
        contender.start();
        parker.start();
        allocator.start();
        while (System.nanoTime() < end) {
            sink += spin(2_000_000);
        }
        for (Thread t : List.of(holder, contender, parker, allocator)) {
            t.join();
        }
    }

    private static long spin(int iterations) {
        long x = sink;
        for (int i = 0; i < iterations; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
        }
        return x;
    }

    private static void contendMonitor() {
        synchronized (MONITOR) {
            sink++;
        }
    }

    private static void parkBriefly() {
        LockSupport.parkNanos(5_000_000L);
    }

    private static void allocate() {
        for (int i = 0; i < 1000; i++) {
            sink += new long[16 + (i & 63)].length;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
