package dev.kiln.common.jfr;

import dev.kiln.proto.jfr.LabelsSnapshot;
import jdk.jfr.Recording;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Single-threaded throughput of {@link JfrConverter#convert}, in MB of (uncompressed) JFR per
 * second on one core. Converts the recording given as the first argument (with the agent's
 * LabelsSnapshot file as the optional second), or records a 3 s JDK Flight Recorder file of a
 * cpu/allocation workload when none is given.
 *
 * <pre>
 * mvn -q -o -pl proto,common test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/kiln-common-cp.txt
 * java -cp common/target/test-classes:common/target/classes:proto/target/classes:$(cat /tmp/kiln-common-cp.txt) \
 *     dev.kiln.common.jfr.JfrConverterBench [recording.jfr [labels.pb]]
 * </pre>
 */
public final class JfrConverterBench {
    private static volatile long sink;

    private JfrConverterBench() {
    }

    public static void main(String[] args) throws Exception {
        byte[] jfr = args.length > 0 ? Files.readAllBytes(Path.of(args[0])) : recordWorkload();
        LabelsSnapshot labels = args.length > 1 ? LabelsSnapshot.parseFrom(Files.readAllBytes(Path.of(args[1]))) : null;
        double megabytes = jfr.length / 1e6;
        System.out.printf("recording: %.2f MB%n", megabytes);
        measure(jfr, labels, Duration.ofSeconds(5));
        double[] mbPerSecond = measure(jfr, labels, Duration.ofSeconds(10));
        System.out.printf("throughput: %.1f MB/s per core (wall clock), %.1f MB per CPU second of the converting thread%n",
                mbPerSecond[0], mbPerSecond[1]);
    }

    /**
     * Converts repeatedly for {@code duration} and returns MB per wall-clock second and MB per
     * CPU second of this thread: on a shared machine the second is the steadier figure, though it
     * leaves out the collector's and compiler's threads.
     */
    private static double[] measure(byte[] jfr, LabelsSnapshot labels, Duration duration) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long end = System.nanoTime() + duration.toNanos();
        long start = System.nanoTime();
        long cpuStart = threads.getCurrentThreadCpuTime();
        long conversions = 0;
        long samples = 0;
        while (System.nanoTime() < end) {
            List<JfrProfile> profiles = JfrConverter.convert(jfr, labels);
            samples += profiles.stream().mapToLong(p -> p.profile().getSampleCount()).sum();
            conversions++;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9;
        sink += samples;
        double megabytes = conversions * (jfr.length / 1e6);
        return new double[] {megabytes / seconds, megabytes / cpuSeconds};
    }

    private static byte[] recordWorkload() throws Exception {
        try (Recording recording = new Recording()) {
            recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(1));
            recording.enable("jdk.ObjectAllocationSample").with("throttle", "2000/s");
            recording.start();
            long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < end) {
                sink += work(sink, 20_000);
            }
            recording.stop();
            try (InputStream in = recording.getStream(null, null)) {
                return in.readAllBytes();
            }
        }
    }

    private static long work(long seed, int depth) {
        long[] values = new long[64];
        for (int i = 0; i < depth; i++) {
            values[i & 63] += seed * i;
        }
        return values[depth & 63];
    }
}
