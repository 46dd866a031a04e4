package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the whole benchmark with tiny parameters so that it cannot rot; asserts figures, never timings. */
class KilnBenchSmokeTest {
    private static final List<String> FIGURES = List.of(
            "workload.series", "workload.distinct_profiles", "workload.samples_per_profile", "workload.gzip_kb_per_profile",
            "workload.raw_kb_per_profile", "workload.generate_s",
            "limits.gunzip_mb_per_cpu_s", "limits.decode_mb_per_cpu_s", "limits.libdeflate_gunzip_mb_per_cpu_s",
            "limits.libdeflate_decode_mb_per_cpu_s",
            "ingest.mb_per_kiln_cpu_s", "ingest.mb_per_wall_s", "ingest.pushes_per_s", "ingest.kiln_cpu_cores", "ingest.client_cpu_cores",
            "ingest.head_mb", "ingest.jit_warmup_s", "ingest.jit_cpu_cores", "ingest.mb_per_kiln_cpu_s_without_jit",
            "query_head.queries", "query_head.p50_ms", "query_head.p95_ms", "query_head.max_ms",
            "query_blocks.flush_s", "query_blocks.queries", "query_blocks.p50_ms", "query_blocks.p95_ms", "query_blocks.max_ms",
            "aggregation.kiln_merge_tree_ms", "aggregation.duckdb_group_by_ms", "aggregation.kiln_vs_duckdb",
            "storage.samples", "storage.bytes_per_sample", "storage.symbol_bytes_per_sample", "storage.pushes_per_distinct_profile",
            "storage.compacted_bytes_per_sample",
            "memory.head_limit_mb", "memory.pushed_mb", "memory.flushed_blocks", "memory.peak_head_estimate_mb",
            "memory.peak_block_cache_mb", "memory.baseline_heap_mb", "memory.peak_live_heap_mb");

    @Test
    void tinyRunReportsEveryFigure(@TempDir Path dir) throws Exception {
        BenchOptions o = BenchOptions.parse("--services=2", "--pods=2", "--regions=2", "--profiles=6", "--samples=20", "--stacks=100",
                // the first pushes of a cold JVM can take over a second on a loaded machine: warm up before the measured window
                "--functions=50", "--span-hours=2", "--limit-seconds=0.2", "--push-clients=2", "--warmup-seconds=1", "--max-warmup-seconds=1",
                "--push-seconds=1", "--query-clients=2", "--query-seconds=0.2", "--aggregation-runs=1", "--memory-head-mb=0.01",
                "--memory-seconds=1", "--work-dir=" + dir,
                "--kiln=-pyroscopedb.wal.fsync=never");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Report report = KilnBench.run(o, new PrintStream(printed, true, StandardCharsets.UTF_8));

        Map<String, Double> values = report.values();
        assertEquals(expectedFigures(FIGURES), List.copyOf(values.keySet()));
        values.forEach((name, v) -> assertTrue(Double.isFinite(v) && v >= 0, name + " = " + v));
        assertEquals(List.of("workload", "limits", "ingest", "query_head", "query_blocks", "aggregation", "storage", "memory"),
                List.copyOf(report.sections()));
        // the generated shape: 2 + 1 pods, 6 profiles of 20 samples, each stored once per sample type
        assertEquals(3, values.get("workload.series"));
        assertEquals(6, values.get("workload.distinct_profiles"));
        assertTrue(values.get("ingest.mb_per_kiln_cpu_s") > 0, "something was pushed");
        assertTrue(values.get("storage.samples") >= 2 * 6 * 20, "every distinct profile was pushed at least once");
        assertEquals(0, values.get("storage.samples") % 20, "whole profiles of 20 samples per sample type");
        assertTrue(values.get("memory.flushed_blocks") >= 1, "pushes over a 10 KiB head limit flushed early");
        String text = printed.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("ingest.mb_per_kiln_cpu_s") && text.contains("x in-run decode limit"), text);
        assertTrue(text.contains("same total from both"), text);
    }

    /** --sections=ingest: the core section up to and including the ingest figures. */
    @Test
    void ingestSectionStopsAfterTheIngestFigures(@TempDir Path dir) throws Exception {
        BenchOptions o = BenchOptions.parse("--sections=ingest", "--services=2", "--pods=2", "--regions=2", "--profiles=6", "--samples=20",
                "--stacks=100", "--functions=50", "--span-hours=2", "--limit-seconds=0.2", "--push-clients=2", "--warmup-seconds=1",
                "--max-warmup-seconds=1", "--push-seconds=1", "--work-dir=" + dir, "--kiln=-pyroscopedb.wal.fsync=never");
        Report report = KilnBench.run(o, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertEquals(List.of("workload", "limits", "ingest"), List.copyOf(report.sections()));
        assertEquals(expectedFigures(FIGURES.subList(0, FIGURES.indexOf("query_head.queries"))), List.copyOf(report.values().keySet()));
        assertTrue(report.values().get("ingest.mb_per_kiln_cpu_s") > 0, "something was pushed");
    }

    /** The libdeflate limits are measured only where Kiln inflates with libdeflate. */
    private static List<String> expectedFigures(List<String> all) {
        return all.stream().filter(f -> dev.kiln.common.io.Gzip.usesLibdeflate() || !f.startsWith("limits.libdeflate_")).toList();
    }

    /** Two days of two pods, a profile every 30 minutes: 12 uploaded 4h blocks, compacted into 2 day blocks with rollups. */
    @Test
    void tinyLongRangeRunReportsEveryFigure(@TempDir Path dir) throws Exception {
        BenchOptions o = BenchOptions.parse("--sections=long-range", "--stacks=100", "--functions=50", "--long-range-days=2",
                "--long-range-pods=2", "--long-range-interval-seconds=1800", "--long-range-samples=10", "--long-range-queries=1",
                "--work-dir=" + dir);
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Report report = KilnBench.run(o, new PrintStream(printed, true, StandardCharsets.UTF_8));

        Map<String, Double> values = report.values();
        assertEquals(List.of("long_range", "long_range_rollups", "long_range_raw"), List.copyOf(report.sections()));
        List<String> timings = List.of("d7_first_ms", "d7_queries", "d7_p50_ms", "d7_cpu_ms", "d30_first_ms", "d30_queries",
                "d30_p50_ms", "d30_cpu_ms");
        List<String> expected = new ArrayList<>(List.of("long_range.profiles", "long_range.samples", "long_range.uploaded_blocks",
                "long_range.generate_s", "long_range.compact_s", "long_range.day_blocks", "long_range.block_mb", "long_range.rollup_share"));
        timings.forEach(t -> expected.add("long_range_rollups." + t));
        timings.forEach(t -> expected.add("long_range_raw." + t));
        assertEquals(expected, List.copyOf(values.keySet()));
        values.forEach((name, v) -> assertTrue(Double.isFinite(v) && v >= 0, name + " = " + v));
        assertEquals(2 * 24 * 2 * 2, values.get("long_range.profiles"));
        assertEquals(2 * 24 * 2 * 2 * 10, values.get("long_range.samples"));
        assertEquals(12, values.get("long_range.uploaded_blocks"));
        assertEquals(2, values.get("long_range.day_blocks"));
        assertTrue(values.get("long_range.rollup_share") > 0);
        assertEquals(1, values.get("long_range_rollups.d30_queries"));
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("same flame graphs with and without rollups"));
    }

    /** Six profiles pushed three times into a child JVM with a 256 MiB heap: the exact total, no OOM. */
    @Test
    void tinyScaleRunReportsEveryFigure(@TempDir Path dir) throws Exception {
        BenchOptions o = BenchOptions.parse("--sections=scale", "--services=2", "--pods=2", "--regions=2", "--profiles=6", "--samples=20",
                "--stacks=100", "--functions=50", "--span-hours=2", "--push-clients=2", "--scale-factor=3", "--scale-heap-mb=256",
                "--work-dir=" + dir, "--kiln=-pyroscopedb.wal.fsync=never");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Report report = KilnBench.run(o, new PrintStream(printed, true, StandardCharsets.UTF_8));

        Map<String, Double> values = report.values();
        assertEquals(List.of("workload", "scale"), List.copyOf(report.sections()));
        assertEquals(3, values.get("scale.factor"));
        assertEquals(256, values.get("scale.heap_max_mb"));
        assertTrue(values.get("scale.peak_heap_used_mb") > 0 && values.get("scale.peak_heap_used_mb") <= 256,
                "heap sampled from the child's /metrics: " + values.get("scale.peak_heap_used_mb"));
        assertTrue(values.get("scale.pushed_mb") > 0);
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("= 3 x the first pass's"), printed.toString(StandardCharsets.UTF_8));
    }

    @Test
    void badOptionsAreNamed() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> BenchOptions.parse("--samples=50", "--stacks=10"));
        assertEquals("--stacks (10) must be at least --samples (50) and, with the long-range section, --long-range-samples (150)",
                e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--colour=red"));
        assertTrue(e.getMessage().startsWith("unknown option --colour\n"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--sections=core,fast"));
        assertEquals("--sections must list some of core, ingest, long-range and scale, got [core, fast]", e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> BenchOptions.parse("--long-range-interval-seconds=7"));
        assertEquals("--long-range-interval-seconds must divide an hour, got 7", e.getMessage());
    }
}
