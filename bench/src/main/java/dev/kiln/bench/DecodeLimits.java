package dev.kiln.bench;

import dev.kiln.common.io.Gzip;
import dev.kiln.common.pprof.PprofData;
import dev.kiln.common.pprof.PprofDecoder;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;

/**
 * The in-run limits Kiln's ingest is compared with (issue 8, limits.md): how fast one core gunzips
 * the workload's payloads, and gunzips plus decodes them with the streaming decoder (no message
 * objects). Both run on the calling thread and are timed in its CPU time, so other load on the
 * machine does not count against them.
 */
final class DecodeLimits {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** Gzip megabytes (10^6 bytes) per CPU second of each step. */
    record Result(double gunzipMbPerSec, double decodeMbPerSec) {}

    private DecodeLimits() {}

    static Result measure(List<byte[]> payloads, double cpuSeconds) {
        // a first short pass of each warms up the JIT; the second is measured
        run(payloads, Math.min(1, cpuSeconds / 3), false);
        double gunzip = run(payloads, cpuSeconds, false);
        run(payloads, Math.min(1, cpuSeconds / 3), true);
        double decode = run(payloads, cpuSeconds, true);
        return new Result(gunzip, decode);
    }

    /** Cycles through the payloads for {@code cpuSeconds} of this thread's CPU time; returns gzip MB per CPU second. */
    private static double run(List<byte[]> payloads, double cpuSeconds, boolean decode) {
        PprofDecoder decoder = new PprofDecoder();
        PprofData data = new PprofData();
        long start = THREADS.getCurrentThreadCpuTime();
        long deadline = start + (long) (cpuSeconds * 1e9);
        long bytes = 0;
        long check = 0;   // consumed, so the JIT cannot drop the work
        for (int i = 0; ; i = (i + 1) % payloads.size()) {
            byte[] p = payloads.get(i);
            byte[] raw = Gzip.decompress(p, 0, p.length, Long.MAX_VALUE, "profile", "none");
            check += decode ? decoder.decode(raw, 0, raw.length, data).sampleCount : raw.length;
            bytes += p.length;
            long now = THREADS.getCurrentThreadCpuTime();
            if (now >= deadline && check > 0) {
                return bytes / 1e6 / ((now - start) / 1e9);
            }
        }
    }
}
