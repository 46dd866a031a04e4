package dev.kiln.bench;

import dev.kiln.common.config.ConfigLoader;
import dev.kiln.server.Kiln;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The issue-8 benchmark (bin/kiln-bench): generates a realistic pprof workload, measures the in-run
 * decode limits on it, starts an all-in-one Kiln in this process (write-ahead log on, fsync per
 * push), pushes with parallel clients, queries flame graphs, flushes, and measures the flushed
 * blocks. The long-range section ({@link LongRange}) times 7- and 30-day flame graphs over
 * compacted blocks with and without rollups. Every figure is printed with its ratio to the in-run limit or target it is judged by.
 * Options: {@link BenchOptions}; results and the published command: docs/benchmarks.md.
 */
public final class KilnBench {
    /** Issue-8 targets and the reference figures of limits.md / pyroscope-lessons.md. */
    static final double TARGET_INGEST_MB_PER_CPU_S = 40;
    static final double TARGET_INGEST_SHARE_OF_DECODE = 0.45;
    static final double PYROSCOPE_INGEST_MB_PER_CPU_S = 8;
    static final double LIMITS_MD_GUNZIP_MB_S = 155;
    static final double LIMITS_MD_DECODE_MB_S = 90;
    static final double TARGET_QUERY_MS = 1000;
    static final double TARGET_AGGREGATION_VS_DUCKDB = 1.5;
    static final double TARGET_BYTES_PER_SAMPLE = 4;
    static final double PYROSCOPE_BYTES_PER_SAMPLE = 8.4;

    private KilnBench() {}

    public static void main(String[] args) throws Exception {
        // Kiln's per-event INFO lines would bury the figures; KILN_LOG_LEVEL=INFO brings them back
        if (System.getenv("KILN_LOG_LEVEL") == null && System.getProperty("KILN_LOG_LEVEL") == null) {
            System.setProperty("KILN_LOG_LEVEL", "WARN");
        }
        if (java.util.Arrays.asList(args).contains("--help")) {
            System.out.println(BenchOptions.USAGE);
            return;
        }
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("kiln-bench: " + e.getMessage());
            System.exit(2);
            return;
        }
        run(options, System.out);
    }

    /** Runs every section, printing to {@code out}; returns the figures. */
    static Report run(BenchOptions o, PrintStream out) throws Exception {
        Report r = new Report(out);
        boolean temporary = o.workDir() == null;
        Path work = temporary ? Files.createTempDirectory("kiln-bench") : Files.createDirectories(o.workDir());
        try {
            runIn(o, work, r);
        } finally {
            if (temporary) {
                deleteRecursively(work);
            }
        }
        return r;
    }

    private static void runIn(BenchOptions o, Path work, Report r) throws Exception {
        boolean core = o.sections().contains("core") || o.sections().contains("ingest");
        if (core || o.sections().contains("scale")) {
            Workload w = workload(o, r);
            if (core) {
                runCore(o, w, work, r);
            }
            if (o.sections().contains("scale")) {
                runScale(o, w, work.resolve("scale"), r);
            }
        }
        if (o.sections().contains("long-range")) {
            LongRange.run(o, work, r);
        }
    }

    /** The machine, for section titles: cores, JVM, heap. */
    static String machine() {
        return String.format(Locale.ROOT, "machine: %d cores, %s %s, max heap %d MiB", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name"), System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20);
    }

    private static Workload workload(BenchOptions o, Report r) {
        r.section("workload (" + machine() + ")");
        long t0 = System.nanoTime();
        Workload w = Workload.generate(o, System.currentTimeMillis());
        r.add("workload", "series", w.series().size(), "", "services=" + o.services() + " busiest pods=" + o.pods() + " regions=" + o.regions());
        r.add("workload", "distinct_profiles", w.payloads().size(), "", "");
        r.add("workload", "samples_per_profile", o.samples(), "", "Zipf(1.1) over " + o.stacks() + " stacks 10-60 deep, " + o.functions() + " functions");
        r.add("workload", "gzip_kb_per_profile", w.gzipBytes() / 1e3 / w.payloads().size(), "KB", "");
        r.add("workload", "raw_kb_per_profile", w.rawBytes() / 1e3 / w.payloads().size(), "KB", "");
        r.add("workload", "generate_s", (System.nanoTime() - t0) / 1e9, "s", "");
        return w;
    }

    /**
     * Flags of every Kiln the bench starts. The workload is a backfill over the span: no rate limit,
     * no time window, no periodic flushes while pushing, and the ingester answers queries over the
     * whole span.
     */
    private static List<String> kilnFlags(BenchOptions o) {
        List<String> flags = new ArrayList<>(List.of("-server.grpc-listen-port=0", "-distributor.receivers.otlp.protocols.grpc.endpoint=",
                "-limits.ingestion-rate-mb=0", "-limits.reject-older-than=0s", "-limits.reject-newer-than=0s",
                "-pyroscopedb.flush-check-period=" + (o.spanHours() + 24) + "h",
                "-querier.query-store-after=" + (o.spanHours() + 2) + "h",
                // ... and no part of the span is old enough for the results cache: queries are measured, not cache hits
                "-frontend.results-cache.min-age=" + (o.spanHours() + 3) + "h",
                // the bench measures the ingester's own blocks: the compactor stays out of the way
                "-compactor.compaction-interval=" + (o.spanHours() + 24) + "h"));
        flags.addAll(o.kilnFlags());
        return flags;
    }

    private static void runCore(BenchOptions o, Workload w, Path work, Report r) throws Exception {

        r.section("in-run limits (one thread, its CPU time; MB = 10^6 bytes of gzip pprof)");
        DecodeLimits.Result limits = DecodeLimits.measure(w.payloads(), o.limitSeconds());
        r.add("limits", "gunzip_mb_per_cpu_s", limits.gunzipMbPerSec(), "MB/s",
                Report.ratio(limits.gunzipMbPerSec(), LIMITS_MD_GUNZIP_MB_S, "limits.md's ~155 MB/s (machine state)"));
        r.add("limits", "decode_mb_per_cpu_s", limits.decodeMbPerSec(), "MB/s",
                Report.ratio(limits.decodeMbPerSec(), LIMITS_MD_DECODE_MB_S, "limits.md's 85-95 MB/s (gunzip + streaming PprofDecoder)"));
        boolean libdeflate = !Double.isNaN(limits.nativeDecodeMbPerSec());
        if (libdeflate) {
            r.add("limits", "libdeflate_gunzip_mb_per_cpu_s", limits.nativeGunzipMbPerSec(), "MB/s",
                    Report.ratio(limits.nativeGunzipMbPerSec(), limits.gunzipMbPerSec(), "the JDK's zlib (Kiln inflates with libdeflate)"));
            r.add("limits", "libdeflate_decode_mb_per_cpu_s", limits.nativeDecodeMbPerSec(), "MB/s", "the same decode limit with libdeflate");
        }

        Path storage = work.resolve("storage");
        long spanEndMs = System.currentTimeMillis() + 60_000L;
        List<String> common = new ArrayList<>(kilnFlags(o));
        common.add("-server.http-listen-port=0");
        List<String> flags = new ArrayList<>(common);
        flags.addAll(List.of("-pyroscopedb.data-path=" + work.resolve("data"), "-storage.filesystem.dir=" + storage,
                "-compactor.data-dir=" + work.resolve("compactor")));
        long pushes;
        r.section("ingest (push.v1 Connect -> distributor -> ingester head + WAL, in process; flags: " + String.join(" ", o.kilnFlags()) + ")");
        double jitWarmup = warmUpJit(common, work.resolve("warmup"), w, o);
        Kiln kiln = new Kiln(new ConfigLoader(Kiln.keys()).load(flags.toArray(String[]::new), k -> null));
        kiln.start();
        try {
            ConnectClient client = new ConnectClient(kiln.server().httpPort());
            IngestLoad.Result ingest = IngestLoad.run(client, w, o.pushClients(), o.warmupSeconds(), o.warmupSeconds(), o.pushSeconds());
            pushes = ingest.allPushes();
            double perCpu = ingest.mbPerKilnCpuSecond();
            r.add("ingest", "mb_per_kiln_cpu_s", perCpu, "MB/s",
                    Report.ratio(perCpu, limits.decodeMbPerSec(), "in-run decode limit (target >= " + TARGET_INGEST_SHARE_OF_DECODE + ")")
                            + (libdeflate ? "; " + Report.ratio(perCpu, limits.nativeDecodeMbPerSec(), "its libdeflate variant") : "")
                            + "; " + Report.ratio(perCpu, TARGET_INGEST_MB_PER_CPU_S, "target 40")
                            + "; " + Report.ratio(perCpu, PYROSCOPE_INGEST_MB_PER_CPU_S, "Pyroscope's ~8"));
            r.add("ingest", "mb_per_wall_s", ingest.mbPerWallSecond(), "MB/s", "with " + o.pushClients() + " clients on this machine");
            r.add("ingest", "pushes_per_s", ingest.pushes() / ingest.wallSeconds(), "1/s", "one profile per push");
            r.add("ingest", "kiln_cpu_cores", ingest.kilnCpuSeconds() / ingest.wallSeconds(), "cores",
                    "process CPU minus the push threads' (GC and JIT count as Kiln's)");
            r.add("ingest", "client_cpu_cores", ingest.clientCpuSeconds() / ingest.wallSeconds(), "cores", "push threads, not counted");
            r.add("ingest", "head_mb", kiln.ingester().head().sizeBytes() / MIB, "MiB",
                    "head size estimate at the end, nothing flushed yet (pyroscopedb.max_head_bytes: a quarter of the heap by default)");
            r.add("ingest", "jit_warmup_s", jitWarmup, "s", "pushes into a throwaway Kiln until the JIT compiled < "
                    + IngestLoad.JIT_SETTLED_MS_PER_S + " ms/s for " + IngestLoad.JIT_SETTLED_WINDOW_S + " s (at least "
                    + o.warmupSeconds() + " s, at most " + o.maxWarmupSeconds() + " s), then " + o.warmupSeconds() + " s into this one");
            r.add("ingest", "jit_cpu_cores", Math.max(0, ingest.jitCpuSeconds()) / ingest.wallSeconds(), "cores",
                    ingest.jitCpuSeconds() < 0 ? "compiler threads not visible in /proc" : "JIT compiler threads in the window, counted above");
            double steady = ingest.mbPerKilnCpuSecondWithoutJit();
            r.add("ingest", "mb_per_kiln_cpu_s_without_jit", steady, "MB/s",
                    Report.ratio(steady, limits.decodeMbPerSec(), "in-run decode limit") + "; "
                            + (libdeflate ? Report.ratio(steady, limits.nativeDecodeMbPerSec(), "its libdeflate variant") + "; " : "")
                            + Report.ratio(steady, TARGET_INGEST_MB_PER_CPU_S, "target 40") + " (compiled steady state)");
            if (!o.sections().contains("core")) {
                return; // --sections=ingest
            }

            String busy = "{service_name=\"svc-0\"}";
            long startMs = w.startMs() - 60_000L;
            r.section("query: flame graph of " + busy + " over " + o.spanHours() + "h, " + o.queryClients() + " parallel clients, head");
            QueryLoad.Result head = QueryLoad.run(client, busy, startMs, spanEndMs, o.queryClients(), o.querySeconds());
            queryFigures(r, "query_head", head);

            long f0 = System.nanoTime();
            kiln.ingester().flushAll();
            double flushSeconds = (System.nanoTime() - f0) / 1e9;
            r.section("query: the same after flushing the head into blocks");
            r.add("query_blocks", "flush_s", flushSeconds, "s", "Ingester.flushAll: write, upload, swap");
            QueryLoad.Result blocks = QueryLoad.run(client, busy, startMs, spanEndMs, o.queryClients(), o.querySeconds());
            queryFigures(r, "query_blocks", blocks);
            if (blocks.total() != head.total()) {
                throw new IllegalStateException("flame graph total changed across the flush: " + head.total() + " -> " + blocks.total());
            }
            r.note("same total before and after the flush: " + head.total());
        } finally {
            kiln.close();
        }

        BlockFigures blocks = new BlockFigures(storage);
        r.section("aggregation step over the flushed blocks vs DuckDB (one thread each, best of " + o.aggregationRuns() + ")");
        BlockFigures.Aggregation a = blocks.aggregation(o.aggregationRuns());
        r.add("aggregation", "kiln_merge_tree_ms", a.kilnMillis(), "ms", "ParquetBlock.mergeTree, all CPU series of " + blocks.blockCount() + " blocks");
        r.add("aggregation", "duckdb_group_by_ms", a.duckDbMillis(), "ms", "SELECT stack_id, sum(value) ... GROUP BY 1, same rows");
        r.add("aggregation", "kiln_vs_duckdb", a.kilnMillis() / a.duckDbMillis(), "x",
                Report.ratio(a.kilnMillis() / a.duckDbMillis(), TARGET_AGGREGATION_VS_DUCKDB, "target <= 1.5x DuckDB"));
        if (a.kilnTotal() != a.duckDbTotal()) {
            throw new IllegalStateException("Kiln and DuckDB aggregated different rows: totals " + a.kilnTotal() + " vs " + a.duckDbTotal());
        }
        r.note("same total from both: " + a.kilnTotal());

        r.section("storage (flushed blocks on disk, symbols included)");
        double perSample = blocks.bytes() / (double) blocks.samples();
        r.add("storage", "samples", blocks.samples(), "", "stack/value rows in " + blocks.blockCount() + " blocks");
        r.add("storage", "bytes_per_sample", perSample, "B",
                Report.ratio(perSample, TARGET_BYTES_PER_SAMPLE, "target <= 4") + "; "
                        + Report.ratio(perSample, PYROSCOPE_BYTES_PER_SAMPLE, "Pyroscope's 8.4"));
        r.add("storage", "symbol_bytes_per_sample", blocks.symbolBytes() / (double) blocks.samples(), "B",
                "the symbols/ share of the above (each block stores its own symbol tables)");
        double repeats = pushes / (double) w.payloads().size();
        r.add("storage", "pushes_per_distinct_profile", repeats, "",
                repeats > 1.05 ? "payloads were repeated: identical profiles compress better than real ones, raise --profiles" : "");
        double compacted = blocks.compactedBytesPerSample(work.resolve("compacted"));
        r.add("storage", "compacted_bytes_per_sample", compacted, "B",
                Report.ratio(compacted, TARGET_BYTES_PER_SAMPLE, "target <= 4") + " (all blocks merged into one, as the compactor does)");

        long limit = (long) (o.memoryHeadMb() * MIB);
        r.section(String.format(Locale.ROOT, "memory: the same pushes for %s s into a fresh Kiln with -pyroscopedb.max-head-bytes=%d "
                + "(live heap read after a full GC every %d ms)", o.memorySeconds(), limit, MemoryBound.LIVE_HEAP_SAMPLE_MS));
        MemoryBound.Result m = MemoryBound.run(common, limit, w, o.pushClients(), o.memorySeconds(), work.resolve("memory"));
        r.add("memory", "head_limit_mb", limit / MIB, "MiB", "pyroscopedb.max_head_bytes");
        r.add("memory", "pushed_mb", m.ingest().gzipBytes() / 1e6, "MB", String.format(Locale.ROOT, "gzip, %.0f MB decompressed, in %d pushes",
                m.ingest().gzipBytes() / (double) w.gzipBytes() * w.rawBytes() / 1e6, m.ingest().pushes()));
        r.add("memory", "flushed_blocks", m.flushedBlocks(), "", "early flushes cut the head into this many blocks");
        r.add("memory", "peak_head_estimate_mb", m.peakHeadEstimateBytes() / MIB, "MiB",
                Report.ratio(m.peakHeadEstimateBytes(), limit, "the limit"));
        r.add("memory", "peak_block_cache_mb", m.peakBlockCacheBytes() / MIB, "MiB",
                "flushed blocks' symbols kept for queries (-query.block-cache-bytes = the head limit)");
        r.add("memory", "baseline_heap_mb", m.baselineHeapBytes() / MIB, "MiB", "live heap once that Kiln started, before its first push (the bench's payloads)");
        long above = m.peakLiveHeapBytes() - m.baselineHeapBytes();
        r.add("memory", "peak_live_heap_mb", above / MIB, "MiB", Report.ratio(above, limit, "the limit") + " (above the baseline)");
    }

    /** No OOM and nothing lost at many times the benchmark's data, in a small default-configured process. */
    private static void runScale(BenchOptions o, Workload w, Path work, Report r) throws Exception {
        r.section(String.format(Locale.ROOT, "scale: every profile pushed %d times into a Kiln in its own JVM with -Xmx%dm and default "
                + "memory settings (pyroscopedb.max_head_bytes, query.memory_budget_bytes: a quarter of the heap each)", o.scaleFactor(),
                o.scaleHeapMb()));
        ScaleRun.Result s = ScaleRun.run(o, kilnFlags(o), w, work);
        r.add("scale", "factor", s.factor(), "x", "the benchmark's distinct profiles, each pushed this many times");
        r.add("scale", "pushed_mb", s.gzipBytes() / 1e6, "MB", String.format(Locale.ROOT, "gzip, %.0f MB decompressed, in %d pushes",
                s.gzipBytes() / (double) w.gzipBytes() * w.rawBytes() / 1e6, s.pushes()));
        r.add("scale", "push_s", s.pushSeconds(), "s", "");
        r.add("scale", "heap_max_mb", s.heapMaxBytes() / MIB, "MiB", "-Xmx");
        r.add("scale", "peak_heap_used_mb", s.peakHeapUsedBytes() / MIB, "MiB",
                Report.ratio(s.peakHeapUsedBytes(), s.heapMaxBytes(), "-Xmx") + " (garbage included, sampled every second)");
        r.add("scale", "peak_live_data_mb", s.peakLiveDataBytes() / MIB, "MiB",
                Report.ratio(s.peakLiveDataBytes(), s.heapMaxBytes(), "-Xmx") + " (old generation after a collection: jvm_gc_live_data_size_bytes)");
        r.add("scale", "flushed_blocks", s.blocks(), "", "early flushes under the default head limit");
        r.add("scale", "query_all_ms", s.queryMillis(), "ms", "flame graph of every service over the span, after the pushes");
        r.note("no out-of-memory exit; flame graph total " + s.total() + " = " + s.factor() + " x the first pass's " + s.firstPassTotal());
    }

    private static final double MIB = 1 << 20;

    /**
     * Pushes into a throwaway Kiln until the JIT has settled, and returns how long that took. The
     * compiled code is the JVM's, so the measured Kiln starts warm, while its blocks (the storage
     * figures) hold only its own pushes: a warm-up of a minute or two would otherwise repeat every
     * generated profile many times over.
     */
    private static double warmUpJit(List<String> common, Path dir, Workload w, BenchOptions o) throws Exception {
        List<String> flags = new ArrayList<>(common);
        flags.addAll(List.of("-pyroscopedb.data-path=" + dir.resolve("data"), "-storage.filesystem.dir=" + dir.resolve("storage"),
                "-compactor.data-dir=" + dir.resolve("compactor"), "-pyroscopedb.flush-on-shutdown=false"));
        Kiln kiln = new Kiln(new ConfigLoader(Kiln.keys()).load(flags.toArray(String[]::new), k -> null));
        kiln.start();
        try {
            return IngestLoad.run(new ConnectClient(kiln.server().httpPort()), w, o.pushClients(), o.warmupSeconds(),
                    o.maxWarmupSeconds(), Math.min(1, o.pushSeconds())).warmupSeconds();
        } finally {
            kiln.close();
            deleteRecursively(dir);
        }
    }

    private static void queryFigures(Report r, String section, QueryLoad.Result q) {
        r.add(section, "queries", q.sortedMillis().length, "", "");
        r.add(section, "p50_ms", q.percentile(50), "ms", Report.ratio(q.percentile(50), TARGET_QUERY_MS, "target 1 s"));
        r.add(section, "p95_ms", q.percentile(95), "ms", Report.ratio(q.percentile(95), TARGET_QUERY_MS, "target 1 s"));
        r.add(section, "max_ms", q.percentile(100), "ms", "");
    }

    /** Deletes a work directory and everything under it. */
    public static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
