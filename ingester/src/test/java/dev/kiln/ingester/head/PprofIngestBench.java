package dev.kiln.ingester.head;

import dev.kiln.common.limits.Limits;
import dev.kiln.common.model.Labels;
import dev.kiln.common.pprof.ProfileBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * pprof ingest throughput of one core: what an ingester does per pushed profile (gunzip, decode,
 * validate, split into series, intern symbols, append to the head), on generated Go-like CPU
 * profiles (a few hundred distinct stacks each, 20-45 frames deep, over a shared pool of function
 * names, as a service's successive profiles are). A new head block every 2,000 profiles keeps
 * memory bounded, as flushing does.
 *
 * <p>Arguments: number of distinct profiles (default 200), samples per profile (600), warm-up
 * seconds (10), measured seconds (20). Prints MB/s of gzip and raw pprof and profiles/s.
 */
public final class PprofIngestBench {
    private PprofIngestBench() {}

    public static void main(String[] args) throws IOException {
        int distinct = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int samples = args.length > 1 ? Integer.parseInt(args[1]) : 600;
        int warmupSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 20;

        Random random = new Random(42);
        List<String> functions = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            functions.add("github.com/acme/service/internal/pkg" + (i % 97) + ".(*Handler" + (i % 31) + ").Method" + i);
        }
        List<byte[]> gzipped = new ArrayList<>();
        long rawBytes = 0;
        long gzipBytes = 0;
        for (int p = 0; p < distinct; p++) {
            byte[] raw = cpuProfile(random, functions, samples, 1_700_000_000_000_000_000L + p * 10_000_000_000L);
            byte[] gz = gzip(raw);
            gzipped.add(gz);
            rawBytes += raw.length;
            gzipBytes += gz.length;
        }
        System.out.printf("profiles: %d distinct, %d samples each, avg %.1f KB gzip / %.1f KB raw%n",
                distinct, samples, gzipBytes / 1024.0 / distinct, rawBytes / 1024.0 / distinct);

        Labels labels = Labels.builder().set("__name__", "process_cpu").set("service_name", "bench").build();
        run(gzipped, labels, warmupSeconds, rawBytes / distinct, "warm-up");
        run(gzipped, labels, seconds, rawBytes / distinct, "measured");
    }

    private static void run(List<byte[]> profiles, Labels labels, int seconds, long avgRaw, String phase) {
        CumulativeDeltas deltas = new CumulativeDeltas(System::currentTimeMillis);
        HeadBlock block = null;
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long start = System.nanoTime();
        long count = 0;
        long gzipBytes = 0;
        long decodeNanos = 0;
        while (System.nanoTime() < end) {
            if (count % 2_000 == 0) {
                block = new HeadBlock("bench-" + count, "t", 0, Long.MAX_VALUE, deltas);
            }
            byte[] gz = profiles.get((int) (count % profiles.size()));
            long t0 = System.nanoTime();
            DecodedProfile d = DecodedProfile.decode(labels, gz, "p" + count, 0, Map.of(), Limits.DEFAULTS);
            decodeNanos += System.nanoTime() - t0;
            block.append(d);
            gzipBytes += gz.length;
            count++;
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        System.out.printf("%s: %d profiles in %.1f s: %.1f MB/s gzip, %.1f MB/s raw, %.0f profiles/s (one thread); "
                + "decode and validation %.0f%% of the time, head append the rest%n",
                phase, count, elapsed, gzipBytes / elapsed / 1e6, count * (double) avgRaw / elapsed / 1e6, count / elapsed,
                decodeNanos / 1e9 / elapsed * 100);
    }

    /** Stacks walk a call tree: a sample's frames continue a random earlier sample's prefix. */
    private static byte[] cpuProfile(Random random, List<String> functions, int samples, long timeNanos) {
        ProfileBuilder b = new ProfileBuilder().sampleType("cpu", "nanoseconds").periodType("cpu", "nanoseconds")
                .period(10_000_000).timeNanos(timeNanos).durationNanos(10_000_000_000L);
        List<List<String>> stacks = new ArrayList<>();
        for (int s = 0; s < samples; s++) {
            List<String> stack = new ArrayList<>();
            if (!stacks.isEmpty() && random.nextInt(4) != 0) {
                List<String> prefix = stacks.get(random.nextInt(stacks.size()));
                stack.addAll(prefix.subList(0, 1 + random.nextInt(prefix.size())));
            } else {
                stack.add("runtime.main");
            }
            int depth = 20 + random.nextInt(26);
            while (stack.size() < depth) {
                stack.add(functions.get(random.nextInt(functions.size())));
            }
            stacks.add(stack);
            b.add(stack, (1 + random.nextInt(8)) * 10_000_000L);
        }
        return b.build().toByteArray();
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }
}
