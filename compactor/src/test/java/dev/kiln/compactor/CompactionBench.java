package dev.kiln.compactor;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import dev.kiln.common.block.BlockMeta;
import dev.kiln.common.block.BlockSeries;
import dev.kiln.common.block.BlockUploader;
import dev.kiln.common.block.BlockWriter;
import dev.kiln.common.block.BlockWriterConfig;
import dev.kiln.common.block.BucketIndex;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.limits.TenantLimits;
import dev.kiln.common.model.Labels;
import dev.kiln.common.model.Ulid;
import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.symbols.Symbols;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Compaction throughput: how many MB of ingester-uploaded blocks per second one compactor thread
 * turns into one merged block. The workload is what ingesters upload for one 4h range with
 * replication factor 3: for each hour, three level-1 blocks holding the same profiles (the
 * replicas) of many services, each with a few pods and two profile types (CPU and allocated
 * bytes), one profile per series every 15 s. A profile's samples are Zipf-distributed draws from
 * its service's pool of stacks, 10 to 60 frames deep, built as a call tree (a stack continues a
 * prefix of an earlier one), over per-service and shared runtime function names. After the wait
 * period one run merges each hour's replicas, then the four hours, into one block.
 *
 * <p>The blocks are generated once; each iteration then compacts a fresh copy of that bucket with
 * {@link Compactor#runOnce}, timing only the run. The first iteration warms the JIT and is not
 * counted. Reported: MB/s of uploaded blocks (wall, and CPU time of the compacting thread, which
 * does all the work), MB/s read by all merges together (hour blocks are read twice), and the size
 * of the merged block per stored sample.
 *
 * <pre>
 * mvn -B -q -o -pl compactor -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/kiln-compactor-cp.txt
 * java -cp compactor/target/test-classes:compactor/target/classes:common/target/classes:common/target/test-classes:proto/target/classes:$(cat /tmp/kiln-compactor-cp.txt) \
 *     dev.kiln.compactor.CompactionBench [dir (target/compaction-bench)] [services (40)] [pods (2)] [replicas (3)]
 *     [stacks per service (4000)] [iterations (4)]
 * </pre>
 */
public final class CompactionBench {
    private static final long T0 = Instant.parse("2026-03-02T00:00:00Z").toEpochMilli();
    private static final long HOUR_MS = Duration.ofHours(1).toMillis();
    private static final int HOURS = 4;
    private static final int PROFILE_INTERVAL_S = 15;
    private static final int DRAWS_PER_PROFILE = 300;
    private static final int FUNCTIONS_PER_SERVICE = 2500;
    private static final double ZIPF_EXPONENT = 1.1;
    private static final String[][] TYPES = {
        {"process_cpu", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"},
        {"memory", "memory:alloc_space:bytes:space:bytes"},
    };

    private CompactionBench() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : "target/compaction-bench").toAbsolutePath();
        int services = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        int pods = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int replicas = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        int stacksPerService = args.length > 4 ? Integer.parseInt(args[4]) : 4000;
        int iterations = args.length > 5 ? Integer.parseInt(args[5]) : 4;
        deleteTree(root);
        Path pristine = root.resolve("bucket");
        long[] generated = generate(pristine, root.resolve("local"), services, pods, replicas, stacksPerService);
        System.out.printf("workload: %d services x %d pods x %d profile types, %d stacks per service, %d h, replication %d: "
                + "%d blocks, %.1f MB, %d profiles, %d samples (%.1f samples/profile) as uploaded%n", services, pods, TYPES.length,
                stacksPerService, HOURS, replicas, HOURS * replicas, generated[0] / 1e6, generated[1], generated[2], generated[2] / (double) generated[1]);

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        double wallSum = 0;
        double cpuSum = 0;
        int measured = 0;
        for (int i = 0; i < iterations; i++) {
            Path bucket = root.resolve("run");
            deleteTree(bucket);
            copyTree(pristine, bucket);
            try (FilesystemObjectStore store = new FilesystemObjectStore(bucket)) {
                CompactorConfig config = CompactorConfig.defaults(root.resolve("scratch"));
                SimpleMeterRegistry registry = new SimpleMeterRegistry();
                Compactor compactor = new Compactor(config, store, TenantLimits.fixed(Limits.DEFAULTS), registry);
                long now = T0 + HOURS * HOUR_MS + config.compactionWaitPeriod().toMillis();
                long cpu0 = threads.getCurrentThreadCpuTime();
                long wall0 = System.nanoTime();
                compactor.runOnce(now);
                double wall = (System.nanoTime() - wall0) / 1e9;
                double cpu = (threads.getCurrentThreadCpuTime() - cpu0) / 1e9;
                List<BlockMeta> out = BucketIndex.read(store, "bench").orElseThrow().queryableBlocks();
                if (out.size() != 1) {
                    throw new IllegalStateException("expected one merged block, the index has " + out.size());
                }
                BlockMeta merged = out.get(0);
                long outBytes = merged.files().stream().mapToLong(BlockMeta.FileInfo::sizeBytes).sum();
                double read = registry.get("pyroscope.compactor.compaction.input.bytes").counter().count();
                System.out.printf("%s: %.2f s wall, %.2f s CPU: %.1f MB/s of uploaded blocks (wall), %.1f MB/s (CPU), "
                        + "%.2f M uploaded samples/s (CPU); %.0f merges read %.1f MB: %.1f MB/s read (CPU); "
                        + "merged block %.1f MB, %d profiles, %d samples, %.2f bytes/sample%n",
                        i == 0 ? "warm-up " : "measured", wall, cpu, generated[0] / 1e6 / wall, generated[0] / 1e6 / cpu,
                        generated[2] / 1e6 / cpu, registry.get("pyroscope.compactor.compactions").counter().count(), read / 1e6,
                        read / 1e6 / cpu, outBytes / 1e6, merged.stats().numProfiles(), merged.stats().numSamples(),
                        outBytes / (double) merged.stats().numSamples());
                if (i > 0) {
                    wallSum += wall;
                    cpuSum += cpu;
                    measured++;
                }
            }
        }
        if (measured > 0) {
            System.out.printf("mean of %d measured runs: %.1f MB/s of uploaded blocks (wall), %.1f MB/s (CPU)%n", measured,
                    generated[0] / 1e6 * measured / wallSum, generated[0] / 1e6 * measured / cpuSum);
        }
        deleteTree(root.resolve("run"));
    }

    /** Writes and uploads the level-1 blocks; returns {bytes, profiles, samples} of all of them. */
    private static long[] generate(Path bucket, Path local, int services, int pods, int replicas, int stacksPerService)
            throws IOException {
        List<Service> pool = new ArrayList<>();
        Random random = new Random(7);
        List<String> runtime = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            runtime.add(i % 3 == 0 ? "runtime.mallocgc" + i : i % 3 == 1 ? "net/http.(*conn).serve" + i : "runtime.gcBgMarkWorker" + i);
        }
        for (int s = 0; s < services; s++) {
            pool.add(new Service("svc-" + s, random, runtime, stacksPerService));
        }
        double[] zipf = zipfCdf(stacksPerService);
        long[] totals = new long[3];
        try (FilesystemObjectStore store = new FilesystemObjectStore(bucket)) {
            for (int h = 0; h < HOURS; h++) {
                SymbolTable symbols = new SymbolTable();
                List<BlockSeries> series = new ArrayList<>();
                for (Service svc : pool) {
                    Map<Integer, Integer> interned = new HashMap<>();
                    for (int p = 0; p < pods; p++) {
                        for (String[] type : TYPES) {
                            series.add(svc.series(type, "pod-" + p, T0 + h * HOUR_MS, random, zipf, symbols, interned));
                        }
                    }
                }
                Symbols published = symbols.publish();
                for (int r = 0; r < replicas; r++) {
                    String id = Ulid.generate();
                    Path dir = local.resolve(id);
                    BlockMeta meta = BlockWriter.write(dir, "bench", id, series, published, BlockWriterConfig.DEFAULTS);
                    BlockUploader.upload(store, dir);
                    deleteTree(dir);
                    totals[0] += meta.files().stream().mapToLong(BlockMeta.FileInfo::sizeBytes).sum();
                    totals[1] += meta.stats().numProfiles();
                    totals[2] += meta.stats().numSamples();
                }
            }
        }
        return totals;
    }

    /** Cumulative probabilities of ranks 1..n under Zipf's law. */
    private static double[] zipfCdf(int n) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++) {
            sum += 1 / Math.pow(k + 1, ZIPF_EXPONENT);
            cdf[k] = sum;
        }
        for (int k = 0; k < n; k++) {
            cdf[k] /= sum;
        }
        return cdf;
    }

    /** A service's stacks as function-name paths, root first. */
    private static final class Service {
        final String name;
        final List<String[]> stacks = new ArrayList<>();

        Service(String name, Random random, List<String> runtime, int stackCount) {
            this.name = name;
            List<String> functions = new ArrayList<>();
            for (int i = 0; i < FUNCTIONS_PER_SERVICE; i++) {
                functions.add("github.com/acme/" + name + "/internal/pkg" + (i % 53) + ".(*Handler" + (i % 29) + ").Method" + i);
            }
            for (int s = 0; s < stackCount; s++) {
                int depth = 10 + random.nextInt(51);
                List<String> frames = new ArrayList<>();
                if (!stacks.isEmpty() && random.nextInt(4) != 0) {
                    String[] prefix = stacks.get(random.nextInt(stacks.size()));
                    frames.addAll(Arrays.asList(prefix).subList(0, Math.min(depth - 1, 1 + random.nextInt(prefix.length))));
                } else {
                    frames.add("runtime.main");
                }
                while (frames.size() < depth) {
                    List<String> from = random.nextInt(5) == 0 ? runtime : functions;
                    frames.add(from.get(random.nextInt(from.size())));
                }
                stacks.add(frames.toArray(new String[0]));
            }
        }

        /** One hour of one series: a profile every 15 s, samples drawn from the service's stacks. */
        BlockSeries series(String[] type, String pod, long hourStartMs, Random random, double[] zipf, SymbolTable symbols,
                Map<Integer, Integer> interned) {
            Labels labels = Labels.of("__name__", type[0], "__profile_type__", type[1], "service_name", name,
                    "namespace", "prod", "pod", name + "-" + pod);
            int n = (int) (HOUR_MS / 1000 / PROFILE_INTERVAL_S);
            long[] times = new long[n];
            String[] ids = new String[n];
            int[][] stackIds = new int[n][];
            long[][] values = new long[n][];
            long[] totals = new long[n];
            for (int p = 0; p < n; p++) {
                times[p] = (hourStartMs + p * PROFILE_INTERVAL_S * 1000L + random.nextInt(1000)) * 1_000_000L;
                ids[p] = new UUID(random.nextLong(), random.nextLong()).toString();
                Map<Integer, Long> byStack = new HashMap<>();
                for (int d = 0; d < DRAWS_PER_PROFILE; d++) {
                    int rank = Arrays.binarySearch(zipf, random.nextDouble());
                    int stack = interned.computeIfAbsent(rank < 0 ? -rank - 1 : rank, k -> intern(symbols, stacks.get(k)));
                    long v = type[0].equals("memory") ? 512 + random.nextInt(1 << 16) : 10_000_000L;
                    byStack.merge(stack, v, Long::sum);
                }
                int[] s = byStack.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
                long[] v = new long[s.length];
                for (int j = 0; j < s.length; j++) {
                    v[j] = byStack.get(s[j]);
                    totals[p] += v[j];
                }
                stackIds[p] = s;
                values[p] = v;
            }
            return new BlockSeries(labels, n, times, ids, stackIds, values, null, totals);
        }

        private static int intern(SymbolTable t, String[] rootFirst) {
            int node = 0;
            for (String fn : rootFirst) {
                int name = t.internString(fn);
                int function = t.internFunction(name, name, t.internString(fn.substring(0, fn.lastIndexOf('.') + 1) + "go"), 1);
                int location = t.internLocation(0, 0, new int[] {function}, new int[] {1}, 1);
                node = t.internStackNode(node, location);
            }
            return node;
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
        }
    }
}
