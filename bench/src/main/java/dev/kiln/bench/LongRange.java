package dev.kiln.bench;

import dev.kiln.common.block.BlockMeta;
import dev.kiln.common.block.BlockSeries;
import dev.kiln.common.block.BlockUploader;
import dev.kiln.common.block.BlockWriter;
import dev.kiln.common.block.BlockWriterConfig;
import dev.kiln.common.block.BucketIndex;
import dev.kiln.common.config.ConfigLoader;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.limits.TenantLimits;
import dev.kiln.common.model.LabelNames;
import dev.kiln.common.model.Labels;
import dev.kiln.common.model.Ulid;
import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.symbols.Symbols;
import dev.kiln.common.tenant.Tenants;
import dev.kiln.compactor.Compactor;
import dev.kiln.compactor.CompactorConfig;
import dev.kiln.proto.querier.v1.FlameGraph;
import dev.kiln.server.Kiln;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;
import java.util.stream.IntStream;

/**
 * The long-range figure: flame graphs of one busy service over the last 7 and 30 days, through an
 * all-in-one Kiln reading blocks the compactor merged into days, with the rollups the compactor
 * writes and without them ({@code -store-gateway.read-rollups=false}).
 *
 * <p>The data is written as one ingester with 4-hour blocks ({@code pyroscopedb.max_block_duration=4h})
 * uploads it, straight with {@link BlockWriter} (pushing a month of profiles would take hours;
 * 1-hour blocks would add a merge pass and four times the symbol tables to write, for the same
 * day blocks in the end), then merged into days by the real {@link Compactor}, which writes their
 * rollups. The
 * service's pods push a CPU profile every {@code --long-range-interval-seconds}, each
 * {@code --long-range-samples} distinct stacks drawn as in {@link Workload} (Zipf over one tree of
 * {@code --stacks} stacks, {@code --functions} names); every block interns its own symbols,
 * as an ingester's head does.
 */
final class LongRange {
    static final long HOUR = Duration.ofHours(1).toMillis();
    static final long DAY = Duration.ofDays(1).toMillis();
    /** The span of an uploaded (level-1) block. */
    static final long BLOCK = 4 * HOUR;
    static final String SERVICE = "svc-0";
    static final String SELECTOR = "{service_name=\"" + SERVICE + "\"}";
    static final double TARGET_MS = 2000;
    private static final com.sun.management.OperatingSystemMXBean OS =
            ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class);

    private LongRange() {}

    /** The section: generate, compact, then query with and without rollups. */
    static void run(BenchOptions o, Path work, Report r) throws Exception {
        long nowMs = System.currentTimeMillis();
        // whole UTC days ending at least an hour ago, so that the last day's blocks exist and are merged
        long endMs = Math.floorDiv(nowMs - HOUR, DAY) * DAY;
        long startMs = endMs - o.longRangeDays() * DAY;
        Path storage = work.resolve("long-range-storage");
        r.section(String.format(Locale.ROOT, "long range: %d days of %s (%d pods, a profile every %d s, %d stacks each), 4h blocks "
                + "compacted to days (%s)", o.longRangeDays(), SERVICE, o.longRangePods(), o.longRangeIntervalSeconds(), o.longRangeSamples(),
                KilnBench.machine()));
        List<BlockMeta> blocks;
        try (FilesystemObjectStore store = new FilesystemObjectStore(storage)) {
            long t0 = System.nanoTime();
            long[] written = writeBlocks(o, store, work.resolve("long-range-blocks"), startMs, endMs);
            double generateSeconds = (System.nanoTime() - t0) / 1e9;
            long t1 = System.nanoTime();
            blocks = compact(store, work.resolve("long-range-compactor"), endMs);
            double compactSeconds = (System.nanoTime() - t1) / 1e9;
            long bytes = blocks.stream().flatMap(b -> b.files().stream()).mapToLong(BlockMeta.FileInfo::sizeBytes).sum();
            long rollupBytes = blocks.stream().flatMap(b -> b.files().stream()).filter(f -> f.relPath().startsWith("rollup/"))
                    .mapToLong(BlockMeta.FileInfo::sizeBytes).sum();
            r.add("long_range", "profiles", written[0], "", o.longRangePods() + " series");
            r.add("long_range", "samples", written[1], "", "stack/value rows of the profiles");
            r.add("long_range", "uploaded_blocks", written[2], "", "4h each");
            r.add("long_range", "generate_s", generateSeconds, "s", "writing and uploading them");
            r.add("long_range", "compact_s", compactSeconds, "s", "Compactor.runOnce: 4h blocks -> days, rollups included");
            r.add("long_range", "day_blocks", blocks.size(), "", "queryable after compaction");
            r.add("long_range", "block_mb", bytes / 1e6, "MB", "all files of the day blocks");
            r.add("long_range", "rollup_share", rollupBytes / (double) bytes, "", "of those bytes in the rollup files (rollup/*.parquet)");
        }
        Path data = work.resolve("long-range-kiln");
        Timings rolled = query(o, data, storage, true, nowMs);
        Timings raw = query(o, data, storage, false, nowMs);
        report(r, "long_range_rollups", rolled, null);
        report(r, "long_range_raw", raw, rolled);
        for (int i = 0; i < rolled.flameGraphs.size(); i++) {
            if (!rolled.flameGraphs.get(i).equals(raw.flameGraphs.get(i))) {
                throw new IllegalStateException("the " + RANGES_DAYS[i] + "-day flame graph differs with and without rollups: totals "
                        + rolled.flameGraphs.get(i).getTotal() + " and " + raw.flameGraphs.get(i).getTotal());
            }
        }
        r.note("same flame graphs with and without rollups; totals " + rolled.flameGraphs.get(0).getTotal() + " (7d), "
                + rolled.flameGraphs.get(1).getTotal() + " (30d)");
    }

    /** The query ranges, in days before now. */
    static final int[] RANGES_DAYS = {7, 30};

    /**
     * Per range: the first query (blocks opened, symbols loaded), the following ones, the process
     * CPU time per following query, and the answer.
     */
    private record Timings(double[] firstMs, QueryLoad.Result[] results, double[] cpuMs, List<FlameGraph> flameGraphs) {}

    private static void report(Report r, String section, Timings t, Timings rollups) {
        for (int i = 0; i < RANGES_DAYS.length; i++) {
            String range = "d" + RANGES_DAYS[i];
            double p50 = t.results[i].percentile(50);
            r.add(section, range + "_first_ms", t.firstMs[i], "ms", "blocks opened and symbols loaded by this query");
            r.add(section, range + "_queries", t.results[i].sortedMillis().length, "", "");
            r.add(section, range + "_p50_ms", p50, "ms", rollups == null ? Report.ratio(p50, TARGET_MS, "target 2 s")
                    : Report.ratio(p50, rollups.results[i].percentile(50), "with rollups"));
            r.add(section, range + "_cpu_ms", t.cpuMs[i], "ms", "process CPU per query (all of Kiln's threads, GC, the client), mean");
        }
    }

    /** Starts Kiln over {@code storage} and times the flame graphs of each range. */
    private static Timings query(BenchOptions o, Path data, Path storage, boolean readRollups, long nowMs) throws Exception {
        List<String> flags = List.of("-server.http-listen-port=0", "-server.grpc-listen-port=0",
                "-distributor.receivers.otlp.protocols.grpc.endpoint=", "-pyroscopedb.data-path=" + data.resolve("ingester"),
                "-storage.filesystem.dir=" + storage, "-querier.query-store-after=10m",
                // the blocks are compacted already; the compactor's run at start finds nothing to do
                "-compactor.data-dir=" + data.resolve("compactor"), "-compactor.compaction-interval=24h",
                "-store-gateway.read-rollups=" + readRollups);
        double[] first = new double[RANGES_DAYS.length];
        QueryLoad.Result[] results = new QueryLoad.Result[RANGES_DAYS.length];
        double[] cpuMs = new double[RANGES_DAYS.length];
        List<FlameGraph> answers = new ArrayList<>();
        try (Kiln kiln = new Kiln(new ConfigLoader(Kiln.keys()).load(flags.toArray(String[]::new), k -> null))) {
            kiln.start();
            ConnectClient client = new ConnectClient(kiln.server().httpPort());
            for (int i = 0; i < RANGES_DAYS.length; i++) {
                long startMs = nowMs - RANGES_DAYS[i] * DAY;
                QueryLoad.Result cold = QueryLoad.run(client, SELECTOR, startMs, nowMs, 1, 0, 1);
                first[i] = cold.sortedMillis()[0];
                long cpu0 = OS.getProcessCpuTime();
                results[i] = QueryLoad.run(client, SELECTOR, startMs, nowMs, 1, 0, o.longRangeQueries());
                cpuMs[i] = (OS.getProcessCpuTime() - cpu0) / 1e6 / results[i].sortedMillis().length;
                answers.add(results[i].flameGraph());
            }
        }
        return new Timings(first, results, cpuMs, answers);
    }

    /** Merges the uploaded blocks as the compactor does once every range has ended; returns the queryable blocks. */
    private static List<BlockMeta> compact(FilesystemObjectStore store, Path scratch, long endMs) {
        CompactorConfig config = CompactorConfig.defaults(scratch);
        Compactor compactor = new Compactor(config, store, TenantLimits.fixed(Limits.DEFAULTS), new SimpleMeterRegistry());
        long due = endMs + DAY;
        compactor.runOnce(due);
        // once more after the deletion delay, so that the replaced blocks leave the disk
        compactor.runOnce(due + config.deletionDelay().toMillis() + HOUR);
        return BucketIndex.read(store, Tenants.ANONYMOUS).orElseThrow().queryableBlocks();
    }

    /** Writes and uploads the level-1 blocks in parallel; returns {profiles, samples, blocks}. */
    private static long[] writeBlocks(BenchOptions o, FilesystemObjectStore store, Path local, long startMs, long endMs) {
        String[] names = Workload.functionNames(o.functions());
        int[][] stacks = Workload.stackTree(new Random(42), o.stacks(), o.functions());
        int[] popularity = Workload.shuffled(o.stacks(), new Random(0));
        double[] zipf = Workload.zipfCdf(o.stacks(), 1.1);
        int blocks = (int) ((endMs - startMs) / BLOCK);
        long[][] perBlock = new long[blocks][];
        IntStream.range(0, blocks).parallel().forEach(b -> {
            try {
                perBlock[b] = writeBlock(o, store, local, startMs + b * BLOCK, new Random(b), names, stacks, popularity, zipf);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        long[] totals = {0, 0, blocks};
        for (long[] h : perBlock) {
            totals[0] += h[0];
            totals[1] += h[1];
        }
        return totals;
    }

    /** One block of every pod's profiles; returns {profiles, samples}. */
    private static long[] writeBlock(BenchOptions o, FilesystemObjectStore store, Path local, long blockStartMs, Random rnd,
            String[] names, int[][] stacks, int[] popularity, double[] zipf) throws IOException {
        SymbolTable symbols = new SymbolTable();
        int[] nodeOfStack = new int[stacks.length];
        int[] locationOfFunction = new int[names.length];
        long intervalMs = o.longRangeIntervalSeconds() * 1000L;
        int perPod = (int) (BLOCK / intervalMs);
        int n = o.longRangeSamples();
        List<BlockSeries> series = new ArrayList<>();
        long samples = 0;
        for (int pod = 0; pod < o.longRangePods(); pod++) {
            Labels labels = Labels.of("__name__", "process_cpu", LabelNames.PROFILE_TYPE, Workload.CPU_TYPE, LabelNames.SERVICE_NAME, SERVICE,
                    "namespace", "prod", "pod", SERVICE + "-" + pod, "region", "region-" + pod % 3);
            long[] times = new long[perPod];
            String[] ids = new String[perPod];
            int[][] stackIds = new int[perPod][];
            long[][] values = new long[perPod][];
            long[] totals = new long[perPod];
            for (int k = 0; k < perPod; k++) {
                times[k] = (blockStartMs + k * intervalMs + rnd.nextLong(intervalMs)) * 1_000_000L;
                ids[k] = new UUID(rnd.nextLong(), rnd.nextLong()).toString();
                BitSet chosen = new BitSet(stacks.length);
                long[] keyed = new long[n];
                for (int j = 0; j < n; j++) {
                    int s = Workload.nextStack(rnd, popularity, zipf, chosen);
                    if (nodeOfStack[s] == 0) {
                        nodeOfStack[s] = intern(symbols, stacks[s], names, locationOfFunction);
                    }
                    keyed[j] = ((long) nodeOfStack[s] << 32) | Workload.sampleCount(rnd);
                }
                // samples sorted by stack id, as blocks store them
                Arrays.sort(keyed);
                stackIds[k] = new int[n];
                values[k] = new long[n];
                for (int j = 0; j < n; j++) {
                    stackIds[k][j] = (int) (keyed[j] >>> 32);
                    values[k][j] = (keyed[j] & 0xffffffffL) * Workload.PERIOD_NANOS;
                    totals[k] += values[k][j];
                }
            }
            series.add(new BlockSeries(labels, perPod, times, ids, stackIds, values, null, totals));
            samples += (long) perPod * n;
        }
        Symbols published = symbols.publish();
        String id = Ulid.generate();
        Path dir = local.resolve(id);
        BlockWriter.write(dir, Tenants.ANONYMOUS, id, series, published, BlockWriterConfig.DEFAULTS);
        BlockUploader.upload(store, dir);
        KilnBench.deleteRecursively(dir);
        return new long[] {(long) perPod * o.longRangePods(), samples};
    }

    /** Interns a root-first stack of function indexes; returns its stack id (leaf node). */
    private static int intern(SymbolTable t, int[] rootFirst, String[] names, int[] locationOfFunction) {
        int node = 0;
        for (int f : rootFirst) {
            if (locationOfFunction[f] == 0) {
                int name = t.internString(names[f]);
                int function = t.internFunction(name, name, 0, 0);
                locationOfFunction[f] = t.internLocation(0, 0, new int[] {function}, new int[] {Workload.lineOf(f)}, 1);
            }
            node = t.internStackNode(node, locationOfFunction[f]);
        }
        return node;
    }
}
