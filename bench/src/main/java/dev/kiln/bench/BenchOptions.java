package dev.kiln.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Parameters of one benchmark run, from {@code --name=value} flags. Defaults give a run of about a
 * minute on a 2-core machine; docs/benchmarks.md records the parameters of the published run.
 *
 * @param sections       what to run: {@code core} (workload, limits, ingest, queries, aggregation, storage),
 *                       {@code ingest} (only the first three of those), {@code scale} ({@link ScaleRun})
 *                       and/or {@code long-range} (7- and 30-day flame graphs over compacted blocks, {@link LongRange});
 *                       default {@code core}
 * @param services       services pushing profiles (default 12); service {@code i} runs
 *                       {@code max(1, pods / (i + 1))} pods, so {@code svc-0} is the busiest
 * @param pods           pods of the busiest service (default 8)
 * @param regions        regions the pods are spread over (default 3)
 * @param profiles       distinct generated profiles the pushers cycle through (default 240)
 * @param samples        pprof samples (distinct stacks) per profile (default 600)
 * @param stacks         distinct stacks in the shared stack tree (default 8,000)
 * @param functions      function vocabulary shared by all services (default 3,000)
 * @param spanHours      the profiles' timestamps cover this many hours before now (default 24)
 * @param limitSeconds   CPU seconds spent measuring each in-run decode limit (default 3)
 * @param pushClients    parallel push clients (default 4)
 * @param warmupSeconds  pushing into a throwaway Kiln for the JIT, at least (default 5), then as
 *                       long into the measured one before its window
 * @param maxWarmupSeconds the throwaway Kiln's warm-up goes on past {@code warmupSeconds} while the
 *                       JIT is still compiling, up to this long (default 120)
 * @param pushSeconds    measured push window (default 15)
 * @param queryClients   parallel flame-graph clients (default 2)
 * @param querySeconds   seconds of flame-graph queries, before and after the flush (default 5 each)
 * @param aggregationRuns repetitions of the block aggregation and the DuckDB query; the best counts (default 3)
 * @param memoryHeadMb   the head limit ({@code pyroscopedb.max_head_bytes}, MiB) of the memory-bound run (default 64)
 * @param memorySeconds  how long the memory-bound run pushes (default 20)
 * @param workDir        where Kiln keeps its WAL and blocks (default: a temporary directory, deleted afterwards)
 * @param kilnFlags      extra flags for the in-process Kiln ({@code --kiln=-pyroscopedb.wal.fsync=never}, repeatable)
 * @param longRangeDays  days of data for the long-range section (default 30)
 * @param longRangePods  pods (series) of the long-range service (default 8)
 * @param longRangeIntervalSeconds seconds between two profiles of a pod (default 120)
 * @param longRangeSamples distinct stacks per long-range profile, drawn like {@code samples} (default 150)
 * @param longRangeQueries measured queries per range and mode, after the first (default 5)
 * @param scaleFactor    the scale section pushes every distinct profile this many times (default 10)
 * @param scaleHeapMb    the scale section's Kiln runs in a child JVM with this -Xmx and default memory settings (default 1024)
 */
public record BenchOptions(int services, int pods, int regions, int profiles, int samples, int stacks, int functions,
        int spanHours, double limitSeconds, int pushClients, double warmupSeconds, double maxWarmupSeconds, double pushSeconds, int queryClients,
        double querySeconds, int aggregationRuns, double memoryHeadMb, double memorySeconds, Path workDir, List<String> kilnFlags,
        Set<String> sections, int longRangeDays, int longRangePods, int longRangeIntervalSeconds, int longRangeSamples, int longRangeQueries,
        int scaleFactor, int scaleHeapMb) {
    static final Set<String> SECTIONS = Set.of("core", "ingest", "long-range", "scale");

    public static final String USAGE = """
            usage: kiln-bench [--services=12] [--pods=8] [--regions=3] [--profiles=240] [--samples=600]
                              [--stacks=8000] [--functions=3000] [--span-hours=24] [--limit-seconds=3]
                              [--push-clients=4] [--warmup-seconds=5] [--max-warmup-seconds=120]
                              [--push-seconds=15]
                              [--query-clients=2] [--query-seconds=5] [--aggregation-runs=3]
                              [--memory-head-mb=64] [--memory-seconds=20]
                              [--work-dir=DIR] [--kiln=-flag=value ...] [--sections=core|ingest[,long-range][,scale]]
                              [--long-range-days=30] [--long-range-pods=8] [--long-range-interval-seconds=120]
                              [--long-range-samples=150] [--long-range-queries=5]
                              [--scale-factor=10] [--scale-heap-mb=1024]""";

    public BenchOptions {
        positive("services", services);
        positive("pods", pods);
        positive("regions", regions);
        positive("profiles", profiles);
        positive("samples", samples);
        positive("functions", functions);
        positive("span-hours", spanHours);
        positive("push-clients", pushClients);
        positive("query-clients", queryClients);
        positive("aggregation-runs", aggregationRuns);
        sections = Set.copyOf(sections);
        if (sections.isEmpty() || !SECTIONS.containsAll(sections)) {
            throw new IllegalArgumentException("--sections must list some of core, ingest, long-range and scale, got " + new TreeSet<>(sections));
        }
        // every profile holds that many distinct stacks
        int distinct = Math.max(sections.contains("core") || sections.contains("ingest") || sections.contains("scale") ? samples : 0,
                sections.contains("long-range") ? longRangeSamples : 0);
        if (stacks < distinct) {
            throw new IllegalArgumentException("--stacks (" + stacks + ") must be at least --samples (" + samples
                    + ") and, with the long-range section, --long-range-samples (" + longRangeSamples + ")");
        }
        if (limitSeconds <= 0 || warmupSeconds < 0 || pushSeconds <= 0 || querySeconds <= 0) {
            throw new IllegalArgumentException("--limit-seconds, --push-seconds and --query-seconds must be > 0, --warmup-seconds >= 0");
        }
        if (memoryHeadMb <= 0 || memorySeconds <= 0) {
            throw new IllegalArgumentException("--memory-head-mb and --memory-seconds must be > 0");
        }
        if (maxWarmupSeconds < warmupSeconds) {
            throw new IllegalArgumentException("--max-warmup-seconds (" + maxWarmupSeconds + ") must be at least --warmup-seconds ("
                    + warmupSeconds + ")");
        }
        kilnFlags = List.copyOf(kilnFlags);
        positive("long-range-days", longRangeDays);
        positive("long-range-pods", longRangePods);
        positive("long-range-samples", longRangeSamples);
        positive("long-range-queries", longRangeQueries);
        if (longRangeIntervalSeconds <= 0 || 3600 % longRangeIntervalSeconds != 0) {
            throw new IllegalArgumentException("--long-range-interval-seconds must divide an hour, got " + longRangeIntervalSeconds);
        }
        positive("scale-factor", scaleFactor);
        if (scaleHeapMb < 64) {
            throw new IllegalArgumentException("--scale-heap-mb must be at least 64, got " + scaleHeapMb);
        }
    }

    public static BenchOptions parse(String... args) {
        int services = 12, pods = 8, regions = 3, profiles = 240, samples = 600, stacks = 8000, functions = 3000, span = 24;
        double limit = 3, warmup = 5, maxWarmup = 120, push = 15, query = 5, memoryHead = 64, memorySeconds = 20;
        int pushClients = 4, queryClients = 2, runs = 3;
        Path work = null;
        List<String> kiln = new ArrayList<>();
        Set<String> sections = Set.of("core");
        int lrDays = 30, lrPods = 8, lrInterval = 120, lrSamples = 150, lrQueries = 5;
        int scaleFactor = 10, scaleHeapMb = 1024;
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 0) {
                throw new IllegalArgumentException("expected --name=value, got '" + arg + "'\n" + USAGE);
            }
            String name = arg.substring(2, eq);
            String value = arg.substring(eq + 1);
            switch (name) {
                case "services" -> services = integer(name, value);
                case "pods" -> pods = integer(name, value);
                case "regions" -> regions = integer(name, value);
                case "profiles" -> profiles = integer(name, value);
                case "samples" -> samples = integer(name, value);
                case "stacks" -> stacks = integer(name, value);
                case "functions" -> functions = integer(name, value);
                case "span-hours" -> span = integer(name, value);
                case "limit-seconds" -> limit = decimal(name, value);
                case "push-clients" -> pushClients = integer(name, value);
                case "warmup-seconds" -> warmup = decimal(name, value);
                case "max-warmup-seconds" -> maxWarmup = decimal(name, value);
                case "push-seconds" -> push = decimal(name, value);
                case "query-clients" -> queryClients = integer(name, value);
                case "query-seconds" -> query = decimal(name, value);
                case "aggregation-runs" -> runs = integer(name, value);
                case "memory-head-mb" -> memoryHead = decimal(name, value);
                case "memory-seconds" -> memorySeconds = decimal(name, value);
                case "work-dir" -> work = Path.of(value);
                case "kiln" -> kiln.add(value);
                case "sections" -> sections = Set.copyOf(List.of(value.split(",")));
                case "long-range-days" -> lrDays = integer(name, value);
                case "long-range-pods" -> lrPods = integer(name, value);
                case "long-range-interval-seconds" -> lrInterval = integer(name, value);
                case "long-range-samples" -> lrSamples = integer(name, value);
                case "long-range-queries" -> lrQueries = integer(name, value);
                case "scale-factor" -> scaleFactor = integer(name, value);
                case "scale-heap-mb" -> scaleHeapMb = integer(name, value);
                default -> throw new IllegalArgumentException("unknown option --" + name + "\n" + USAGE);
            }
        }
        return new BenchOptions(services, pods, regions, profiles, samples, stacks, functions, span, limit, pushClients,
                warmup, maxWarmup, push, queryClients, query, runs, memoryHead, memorySeconds, work, kiln, sections, lrDays, lrPods,
                lrInterval, lrSamples, lrQueries, scaleFactor, scaleHeapMb);
    }

    private static int integer(String name, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be an integer, got '" + value + "'");
        }
    }

    private static double decimal(String name, String value) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a number, got '" + value + "'");
        }
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("--" + name + " must be > 0, got " + value);
        }
    }
}
