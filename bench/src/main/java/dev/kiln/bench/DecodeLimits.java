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
        gunzipOnly(payloads, Math.min(1, cpuSeconds / 3));
        double gunzip = gunzipOnly(payloads, cpuSeconds);
        gunzipAndDecode(payloads, Math.min(1, cpuSeconds / 3));
        double decode = gunzipAndDecode(payloads, cpuSeconds);
        return new Result(gunzip, decode);
    }

    private static double gunzipOnly(List<byte[]> payloads, double cpuSeconds) {
        long start = THREADS.getCurrentThreadCpuTime();
        long deadline = start + (long) (cpuSeconds * 1e9);
        long bytes = 0;
        long check = 0;
        for (int i = 0; ; i = (i + 1) % payloads.size()) {
            byte[] p = payloads.get(i);
            check += Gzip.decompress(p, 0, p.length, Long.MAX_VALUE, "profile", "none").length;
            bytes += p.length;
            long now = THREADS.getCurrentThreadCpuTime();
            if (now >= deadline && check > 0) {
                return bytes / 1e6 / ((now - start) / 1e9);
            }
        }
    }

    private static double gunzipAndDecode(List<byte[]> payloads, double cpuSeconds) {
        PprofDecoder decoder = new PprofDecoder();
        PprofData data = new PprofData();
        long start = THREADS.getCurrentThreadCpuTime();
        long deadline = start + (long) (cpuSeconds * 1e9);
        long bytes = 0;
        long check = 0;
        for (int i = 0; ; i = (i + 1) % payloads.size()) {
            byte[] p = payloads.get(i);
            byte[] raw = Gzip.decompress(p, 0, p.length, Long.MAX_VALUE, "profile", "none");
            check += decoder.decode(raw, 0, raw.length, data).sampleCount;
            bytes += p.length;
            long now = THREADS.getCurrentThreadCpuTime();
            if (now >= deadline && check > 0) {
                return bytes / 1e6 / ((now - start) / 1e9);
            }
        }
    }
}
