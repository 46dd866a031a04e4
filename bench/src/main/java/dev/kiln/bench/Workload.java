package dev.kiln.bench;

import dev.kiln.common.pprof.ProfileBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.zip.GZIPOutputStream;

/**
 * Generated Go-style CPU profiles (sample types {@code samples/count} and {@code cpu/nanoseconds},
 * one sample every 10 ms) of many services, gzipped as agents push them.
 *
 * <p>All services share one function vocabulary and one tree of stacks 10–60 frames deep (each
 * stack continues a random prefix of an earlier one, as call paths in real programs share their
 * roots). Each service has its own popularity order over the stacks; a profile holds
 * {@code samples} distinct stacks drawn with a Zipf(1.1) law over that order, with mostly small
 * counts (1–20). Series are (service, pod, region); profile {@code k} belongs to series
 * {@code k mod series} and the profiles' timestamps step evenly through the span.
 *
 * @param series   label sets, as name/value pairs (without the {@code __profile_type__} Kiln derives)
 * @param payloads gzip pprof, one per generated profile
 * @param seriesOf the index into {@code series} of each payload
 */
public record Workload(List<String[]> series, List<byte[]> payloads, int[] seriesOf, long rawBytes, long startMs, long endMs) {
    public static final String CPU_TYPE = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    static final long PERIOD_NANOS = 10_000_000L;
    private static final long PROFILE_DURATION_NANOS = 10_000_000_000L;

    public static Workload generate(BenchOptions o, long nowMs) {
        Random rnd = new Random(42);
        String[] names = functionNames(o.functions());
        int[][] stacks = stackTree(rnd, o.stacks(), o.functions());
        List<String[]> series = new ArrayList<>();
        List<Integer> serviceOfSeries = new ArrayList<>();
        for (int s = 0; s < o.services(); s++) {
            int pods = Math.max(1, o.pods() / (s + 1));
            for (int p = 0; p < pods; p++) {
                String service = "svc-" + s;
                series.add(new String[] {"__name__", "process_cpu", "service_name", service, "namespace", "prod",
                        "pod", service + "-" + Integer.toHexString(rnd.nextInt()) + "-" + p, "region", "region-" + (p % o.regions())});
                serviceOfSeries.add(s);
            }
        }
        int[][] popularity = new int[o.services()][];
        for (int s = 0; s < o.services(); s++) {
            popularity[s] = shuffled(o.stacks(), new Random(s));
        }
        double[] zipf = zipfCdf(o.stacks(), 1.1);
        long startMs = nowMs - o.spanHours() * 3_600_000L;
        long stepMs = Math.max(1, (nowMs - 60_000L - startMs) / o.profiles());
        int[] seriesOf = new int[o.profiles()];
        // profiles are independent (each has its own seeded random source), so they are built in parallel
        byte[][] raw = new byte[o.profiles()][];
        byte[][] payloads = new byte[o.profiles()][];
        IntStream.range(0, o.profiles()).parallel().forEach(k -> {
            int s = k % series.size();
            seriesOf[k] = s;
            raw[k] = profile(names, stacks, popularity[serviceOfSeries.get(s)], zipf, o.samples(), startMs + k * stepMs, new Random(k));
            payloads[k] = gzip(raw[k]);
        });
        long rawBytes = 0;
        for (byte[] r : raw) {
            rawBytes += r.length;
        }
        long endMs = startMs + (o.profiles() - 1) * stepMs;
        return new Workload(series, List.of(payloads), seriesOf, rawBytes, startMs, endMs);
    }

    public long gzipBytes() {
        long n = 0;
        for (byte[] p : payloads) {
            n += p.length;
        }
        return n;
    }

    /** Java-style names of realistic length (about 60–80 characters), as JIT-compiled code reports them. */
    static String[] functionNames(int count) {
        String[] verbs = {"handle", "process", "encode", "decode", "lookup", "apply", "visit", "write", "read", "merge"};
        String[] nouns = {"Request", "Buffer", "Record", "Frame", "Batch", "Index", "Segment", "Token", "Entry", "Stream"};
        String[] names = new String[count];
        for (int f = 0; f < count; f++) {
            names[f] = "com.example.platform.module" + (f % 23) + ".internal.pkg" + (f % 57) + "." + nouns[f % 10] + "Service"
                    + (f / 10) + "." + verbs[(f / 3) % 10] + nouns[(f / 7) % 10] + f;
        }
        return names;
    }

    /** Stacks, root first, as indices into the function vocabulary. */
    static int[][] stackTree(Random rnd, int count, int functions) {
        int[][] stacks = new int[count][];
        for (int s = 0; s < count; s++) {
            int depth = 10 + rnd.nextInt(51);
            int[] path = new int[depth];
            int keep = 0;
            if (s > 0) {
                int[] base = stacks[rnd.nextInt(s)];
                keep = Math.min(depth - 1, rnd.nextInt(base.length));
                System.arraycopy(base, 0, path, 0, keep);
            }
            for (int d = keep; d < depth; d++) {
                path[d] = rnd.nextInt(functions);
            }
            stacks[s] = path;
        }
        return stacks;
    }

    private static byte[] profile(String[] names, int[][] stacks, int[] order, double[] zipf, int samples, long timeMs, Random rnd) {
        ProfileBuilder b = new ProfileBuilder()
                .sampleType("samples", "count").sampleType("cpu", "nanoseconds")
                .periodType("cpu", "nanoseconds").period(PERIOD_NANOS)
                .timeNanos(timeMs * 1_000_000L).durationNanos(PROFILE_DURATION_NANOS)
                .symbolizedMapping();
        BitSet chosen = new BitSet(order.length);
        String[] noLabels = new String[0];
        for (int n = 0; n < samples; n++) {
            int[] path = stacks[nextStack(rnd, order, zipf, chosen)];
            long[] leafFirst = new long[path.length];
            for (int d = 0; d < path.length; d++) {
                int f = path[path.length - 1 - d];
                leafFirst[d] = b.location(b.function(names[f]), lineOf(f));
            }
            long count = sampleCount(rnd);
            b.addSample(leafFirst, new long[] {count, count * PERIOD_NANOS}, noLabels);
        }
        return b.build().toByteArray();
    }

    /** A stack not yet in {@code chosen} (then marked), drawn with the Zipf law {@code zipf} over the popularity order {@code order}. */
    static int nextStack(Random rnd, int[] order, double[] zipf, BitSet chosen) {
        while (true) {
            int rank = Arrays.binarySearch(zipf, rnd.nextDouble());
            int stack = order[Math.min(order.length - 1, rank < 0 ? -rank - 1 : rank)];
            if (!chosen.get(stack)) {
                chosen.set(stack);
                return stack;
            }
        }
    }

    /** A sample's count of 10 ms periods: mostly small, 1 to 20. */
    static long sampleCount(Random rnd) {
        return 1 + (long) (-Math.log(1 - rnd.nextDouble()) * 2.0) % 20;
    }

    /** The source line of function {@code f}'s frames. */
    static int lineOf(int f) {
        return 10 + f % 500;
    }

    static int[] shuffled(int n, Random rnd) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        return order;
    }

    static double[] zipfCdf(int n, double s) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1 / Math.pow(i + 1, s);
            cdf[i] = sum;
        }
        for (int i = 0; i < n; i++) {
            cdf[i] /= sum;
        }
        return cdf;
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 3);
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
