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
 *
 * <p>The issue defines the limits with the JDK's zlib. Kiln inflates with libdeflate where the
 * system has it, so both are measured again with that inflater: the stricter yardstick.
 */
final class DecodeLimits {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /**
     * Gzip megabytes (10^6 bytes) per CPU second of each step, with the JDK's zlib and with the
     * inflater Kiln uses ({@code NaN} when that is the JDK's too).
     */
    record Result(double gunzipMbPerSec, double decodeMbPerSec, double nativeGunzipMbPerSec, double nativeDecodeMbPerSec) {}

    private DecodeLimits() {}

    static Result measure(List<byte[]> payloads, double cpuSeconds) {
        double gunzip = warmAndRun(payloads, cpuSeconds, false, false);
        double decode = warmAndRun(payloads, cpuSeconds, true, false);
        if (!Gzip.usesLibdeflate()) {
            return new Result(gunzip, decode, Double.NaN, Double.NaN);
        }
        return new Result(gunzip, decode, warmAndRun(payloads, cpuSeconds, false, true), warmAndRun(payloads, cpuSeconds, true, true));
    }

    /** A first short pass warms up the JIT; the second is measured. */
    private static double warmAndRun(List<byte[]> payloads, double cpuSeconds, boolean decode, boolean libdeflate) {
        run(payloads, Math.min(1, cpuSeconds / 3), decode, libdeflate);
        return run(payloads, cpuSeconds, decode, libdeflate);
    }

    /** Cycles through the payloads for {@code cpuSeconds} of this thread's CPU time; returns gzip MB per CPU second. */
    private static double run(List<byte[]> payloads, double cpuSeconds, boolean decode, boolean libdeflate) {
        PprofDecoder decoder = new PprofDecoder();
        PprofData data = new PprofData();
        long start = THREADS.getCurrentThreadCpuTime();
        long deadline = start + (long) (cpuSeconds * 1e9);
        long bytes = 0;
        long check = 0;   // consumed, so the JIT cannot drop the work
        for (int i = 0; ; i = (i + 1) % payloads.size()) {
            byte[] p = payloads.get(i);
            byte[] raw = libdeflate ? Gzip.decompress(p, 0, p.length, Long.MAX_VALUE, "profile", "none")
                    : Gzip.decompressWithJdk(p, 0, p.length, Long.MAX_VALUE, "profile", "none");
            check += decode ? decoder.decode(raw, 0, raw.length, data).sampleCount : raw.length;
            bytes += p.length;
            long now = THREADS.getCurrentThreadCpuTime();
            if (now >= deadline && check > 0) {
                return bytes / 1e6 / ((now - start) / 1e9);
            }
        }
    }
}
