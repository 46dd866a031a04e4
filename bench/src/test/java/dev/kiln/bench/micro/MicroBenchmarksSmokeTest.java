package dev.kiln.bench.micro;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every microbenchmark in this JVM for one 100 ms iteration on tiny inputs, so that none can
 * rot: each must run without error and report a positive score. No timing is asserted.
 */
class MicroBenchmarksSmokeTest {
    private static final String PACKAGE = MicroBenchmarksSmokeTest.class.getPackageName();

    @Test
    void everyBenchmarkRunsAndScores() throws RunnerException {
        Options options = new OptionsBuilder()
                .include(Pattern.quote(PACKAGE) + "\\.\\w+Benchmark\\.")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .param("profiles", "3")
                .param("trees", "3")
                .param("maxNodes", "64")
                .shouldFailOnError(true)
                .build();
        Collection<RunResult> results = new Runner(options).run();

        Map<String, Double> scores = new TreeMap<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark().substring(PACKAGE.length() + 1);
            scores.put(name, r.getPrimaryResult().getScore());
            assertEquals("ops/s", r.getPrimaryResult().getScoreUnit(), name);
        }
        assertEquals(List.of(
                "FlameGraphRenderBenchmark.render",
                "JfrConvertBenchmark.convert",
                "ParquetScanBenchmark.mergeTreeAllSeries",
                "ParquetScanBenchmark.mergeTreeOneService",
                "PprofDecodeBenchmark.gunzip",
                "PprofDecodeBenchmark.gunzipDecode",
                "PprofDecodeBenchmark.gunzipDecodeValidate",
                "PprofDecodeBenchmark.gunzipJdk",
                "PprofDecodeBenchmark.gunzipParseFrom",
                "SymbolInternBenchmark.importProfileIntoNewTable",
                "SymbolInternBenchmark.importProfileKnownSymbols",
                "SymbolInternBenchmark.internFunctionTuples",
                "SymbolInternBenchmark.internStackNodes",
                "SymbolInternBenchmark.internStrings",
                "TreeMergeBenchmark.merge"), List.copyOf(scores.keySet()));
        scores.forEach((name, score) -> assertTrue(score > 0, name + " scored " + score));
    }
}
