package dev.kiln.common.block;

import dev.kiln.common.model.Labels;
import dev.kiln.common.model.Ulid;
import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.query.SeriesAccumulator;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.symbols.Symbols;
import dev.kiln.common.tree.CallTree;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Block format benchmark (a main, not a test): writes a realistic synthetic block, reports bytes per
 * sample per file and overall, then times opening it from a filesystem object store, queries, and a
 * compaction-style merge of two halves. Usage: {@code BlockBench [series] [profilesPerSeries]
 * [samplesPerProfile] [workDir]}; defaults 100 × 1000 × 200. Results: docs/benchmarks-block.md.
 *
 * <p>Workload: 10 services × 10 pods = 100 CPU series, one profile every 10 s. Stacks are 10–60
 * frames deep, drawn from a tree of 8,000 stacks with shared prefixes (each new stack extends a
 * prefix of an earlier one) over 3,000 Java-style functions. Each profile holds the given number of
 * distinct stacks, drawn with a Zipf(1.1) law over a per-service ordering of the stacks, with
 * values of 1–20 CPU samples of 10 ms, mostly small.
 */
public final class BlockBench {
    private static final long STEP_NANOS = 10_000_000_000L;
    private static final long T0 = 1_700_000_000_000_000_000L;

    private BlockBench() {}

    public static void main(String[] args) throws Exception {
        int seriesCount = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int profiles = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        int samples = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        Path work = Files.createTempDirectory(args.length > 3 ? Path.of(args[3]) : Path.of(System.getProperty("java.io.tmpdir")), "kiln-block-bench");

        long t = System.nanoTime();
        Random rnd = new Random(1);
        SymbolTable table = new SymbolTable();
        int[] stacks = stacks(table, rnd, 8000, 3000);
        Symbols symbols = table.publish();
        List<BlockSeries> series = new ArrayList<>();
        for (int s = 0; s < seriesCount; s++) {
            series.add(series(s, stacks, profiles, samples, rnd));
        }
        long totalSamples = (long) seriesCount * profiles * samples;
        System.out.printf("workload: %d series x %d profiles x %d samples = %,d samples; %,d stack nodes, %,d functions; generated in %.1f s%n",
                seriesCount, profiles, samples, totalSamples, symbols.stackNodeCount, symbols.functionCount, secs(t));

        String id = Ulid.generate();
        Path dir = work.resolve("block");
        Clock clock = new Clock();
        BlockMeta meta = BlockWriter.write(dir, "bench", id, series, symbols, BlockWriterConfig.DEFAULTS);
        clock.stop();
        report(meta, totalSamples);
        System.out.printf("write: %.1f s wall, %.1f s CPU, %,.0f samples per CPU second%n",
                clock.wall, clock.cpu, totalSamples / clock.cpu);

        FilesystemObjectStore store = new FilesystemObjectStore(work.resolve("store"));
        BlockUploader.upload(store, dir);
        clock = new Clock();
        ParquetBlock block = ParquetBlock.open(store, "bench", id);
        clock.stop();
        System.out.printf("open (meta.json, series index, profiles footer): %.0f ms wall, %.0f ms CPU%n", clock.wall * 1000, clock.cpu * 1000);

        String all = "";
        String oneService = "{service_name=\"svc-3\"}";
        String onePod = "{service_name=\"svc-3\", pod=\"pod-7\"}";
        TimeRange firstTenth = new TimeRange(T0 / 1_000_000L, (T0 + profiles / 10 * STEP_NANOS) / 1_000_000L - 1);
        time("first flame graph, all series (includes loading symbols)", totalSamples, "samples", () -> tree(block, all, TimeRange.ALL));
        for (int i = 0; i < 3; i++) {
            time("flame graph, all series", totalSamples, "samples", () -> tree(block, all, TimeRange.ALL));
        }
        time("flame graph, 1 service (10 series)", totalSamples / 10, "samples", () -> tree(block, oneService, TimeRange.ALL));
        time("flame graph, 1 series", totalSamples / seriesCount, "samples", () -> tree(block, onePod, TimeRange.ALL));
        time("flame graph, all series, first 10% of time", totalSamples / 10, "samples", () -> tree(block, all, firstTenth));
        time("series totals, all series, 1 min step", (long) seriesCount * profiles, "profiles", () -> {
            SeriesAccumulator acc = new SeriesAccumulator(T0 / 1_000_000L, 60_000, List.of("service_name"));
            block.mergeSeries(TestData.select(TestData.CPU, all, TimeRange.ALL), acc);
            return (long) acc.toProto().getSeriesCount();
        });

        // compaction: the block cut in two halves by time, merged back into one
        List<BlockSeries> early = new ArrayList<>();
        List<BlockSeries> late = new ArrayList<>();
        for (BlockSeries s : series) {
            early.add(slice(s, 0, profiles / 2));
            late.add(slice(s, profiles / 2, profiles));
        }
        series = null;
        ParquetBlock a = TestData.writeAndOpen(work, store, "bench", early, symbols, BlockWriterConfig.DEFAULTS);
        ParquetBlock b = TestData.writeAndOpen(work, store, "bench", late, symbols, BlockWriterConfig.DEFAULTS);
        early = null;
        late = null;
        String mergedId = Ulid.generate();
        clock = new Clock();
        BlockMeta merged = BlockMerger.merge(List.of(a, b), work.resolve("merged"), mergedId, BlockWriterConfig.DEFAULTS, false);
        clock.stop();
        System.out.printf("merge of two halves: %.1f s wall, %.1f s CPU, %,.0f samples per CPU second; merged block %,d bytes = %.3f bytes/sample%n",
                clock.wall, clock.cpu, merged.stats().numSamples() / clock.cpu, fileBytes(merged),
                fileBytes(merged) / (double) merged.stats().numSamples());
        deleteRecursively(work);
    }

    private static long tree(ParquetBlock block, String selector, TimeRange range) {
        CallTree tree = new CallTree();
        block.mergeTree(TestData.select(TestData.CPU, selector, range), tree);
        return tree.total();
    }

    /** Runs a query and prints its times and how many selected {@code unit}s it processed per CPU second. */
    private static void time(String what, long selected, String unit, Supplier<Long> query) {
        Clock clock = new Clock();
        long result = query.get();
        clock.stop();
        System.out.printf("%-58s %6.0f ms wall %6.0f ms CPU %,12.0f %s per CPU second (result %,d)%n",
                what, clock.wall * 1000, clock.cpu * 1000, selected / clock.cpu, unit, result);
    }

    /**
     * Wall-clock and CPU time of the calling thread. The machine is shared, so CPU time is the
     * steadier figure; every timed step runs on the calling thread.
     */
    private static final class Clock {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        private final long wallStart = System.nanoTime();
        private final long cpuStart = THREADS.getCurrentThreadCpuTime();
        double wall;
        double cpu;

        void stop() {
            wall = (System.nanoTime() - wallStart) / 1e9;
            cpu = (THREADS.getCurrentThreadCpuTime() - cpuStart) / 1e9;
        }
    }

    private static void report(BlockMeta meta, long samples) {
        long total = 0;
        for (BlockMeta.FileInfo f : meta.files()) {
            System.out.printf("  %-28s %,14d bytes  %7.3f bytes/sample  %,d rows in %d row groups%n",
                    f.relPath(), f.sizeBytes(), f.sizeBytes() / (double) samples, f.numRows(), f.numRowGroups());
            total += f.sizeBytes();
        }
        System.out.printf("  %-28s %,14d bytes  %7.3f bytes/sample%n", "total", total, total / (double) samples);
    }

    private static long fileBytes(BlockMeta meta) {
        return meta.files().stream().mapToLong(BlockMeta.FileInfo::sizeBytes).sum();
    }

    /** Stacks as a tree: each new stack keeps a random prefix of an earlier one and adds frames up to 10–60. */
    private static int[] stacks(SymbolTable t, Random rnd, int count, int functionCount) {
        int[] functions = new int[functionCount];
        for (int f = 0; f < functionCount; f++) {
            String cls = "com/acme/svc" + (f % 17) + "/pkg" + (f % 41) + "/Class" + (f / 7);
            int name = t.internString(cls.replace('/', '.') + ".method" + f);
            functions[f] = t.internFunction(name, name, t.internString(cls + ".java"), 10 + f % 300);
        }
        int[][] frames = new int[count][];
        int[] out = new int[count];
        for (int s = 0; s < count; s++) {
            int depth = 10 + rnd.nextInt(51);
            int[] path = new int[depth];
            int keep = 0;
            if (s > 0) {
                int[] base = frames[rnd.nextInt(s)];
                keep = Math.min(depth - 1, rnd.nextInt(base.length));
                System.arraycopy(base, 0, path, 0, keep);
            }
            for (int d = keep; d < depth; d++) {
                path[d] = rnd.nextInt(functionCount);
            }
            frames[s] = path;
            int node = 0;
            for (int fn : path) {
                int line = 10 + fn % 500;
                node = t.internStackNode(node, t.internLocation(0, 0x400000L + fn * 64L, new int[] {functions[fn]}, new int[] {line}, 1));
            }
            out[s] = node;
        }
        return out;
    }

    private static BlockSeries series(int index, int[] stacks, int profiles, int samples, Random rnd) {
        int service = index / 10;
        Labels labels = Labels.of("__name__", "process_cpu", "__profile_type__", TestData.CPU, "service_name", "svc-" + service,
                "pod", "pod-" + (index % 10), "namespace", "prod");
        // each service has its own popularity order of the stacks
        int[] order = Arrays.copyOf(stacks, stacks.length);
        Random shuffle = new Random(service);
        for (int i = order.length - 1; i > 0; i--) {
            int j = shuffle.nextInt(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        double[] cdf = zipfCdf(order.length, 1.1);
        long[] times = new long[profiles];
        String[] ids = new String[profiles];
        int[][] st = new int[profiles][];
        long[][] values = new long[profiles][];
        long[] totals = new long[profiles];
        for (int p = 0; p < profiles; p++) {
            times[p] = T0 + p * STEP_NANOS + rnd.nextInt(1_000_000_000);
            ids[p] = new UUID(rnd.nextLong(), rnd.nextLong()).toString();
            int[] chosen = new int[samples];
            java.util.HashSet<Integer> seen = new java.util.HashSet<>();
            int n = 0;
            while (n < samples) {
                int rank = Arrays.binarySearch(cdf, rnd.nextDouble());
                int stack = order[Math.min(order.length - 1, rank < 0 ? -rank - 1 : rank)];
                if (seen.add(stack)) {
                    chosen[n++] = stack;
                }
            }
            Arrays.sort(chosen);
            long[] v = new long[samples];
            long total = 0;
            for (int k = 0; k < samples; k++) {
                v[k] = (1 + (long) Math.floor(-Math.log(1 - rnd.nextDouble()) * 2.0) % 20) * 10_000_000L;
                total += v[k];
            }
            st[p] = chosen;
            values[p] = v;
            totals[p] = total;
        }
        return new BlockSeries(labels, profiles, times, ids, st, values, new long[profiles][], totals);
    }

    private static double[] zipfCdf(int n, double s) {
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

    private static BlockSeries slice(BlockSeries s, int from, int to) {
        return new BlockSeries(s.labels(), to - from, Arrays.copyOfRange(s.timeNanos(), from, to), Arrays.copyOfRange(s.ids(), from, to),
                Arrays.copyOfRange(s.stacks(), from, to), Arrays.copyOfRange(s.values(), from, to),
                Arrays.copyOfRange(s.spans(), from, to), Arrays.copyOfRange(s.totals(), from, to));
    }

    private static double secs(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
