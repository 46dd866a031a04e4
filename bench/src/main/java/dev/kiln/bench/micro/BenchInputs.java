package dev.kiln.bench.micro;

import dev.kiln.bench.BenchOptions;
import dev.kiln.bench.Workload;
import dev.kiln.common.io.Gzip;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.pprof.PprofData;
import dev.kiln.common.pprof.PprofDecoder;
import dev.kiln.common.pprof.PprofRefs;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.symbols.Symbols;
import dev.kiln.common.tree.CallTree;
import dev.kiln.common.tree.StackResolver;
import java.util.ArrayList;
import java.util.List;

/**
 * Inputs of the microbenchmarks, all taken from the end-to-end bench's generated {@link Workload}:
 * Go-style CPU profiles of 600 distinct stacks each, 10–60 frames deep, drawn with Zipf(1.1) from a
 * tree of 8,000 stacks over 3,000 functions with 60–80 character names. So every microbenchmark
 * sees the kind of profile that the ingest and query figures in docs/benchmarks.md were measured on.
 */
final class BenchInputs {
    /**
     * The workload's clock: fixed, so every fork (and every run) generates the same bytes. The
     * timestamps then span the 24 hours before it.
     */
    private static final long NOW_MS = 1_780_000_000_000L;
    /** The workload's sample types are samples/count and cpu/nanoseconds; flame graphs use the latter. */
    private static final int CPU_VALUE = 1;

    /** Ingest's defaults for the cuts {@link SymbolTable#importProfile} makes. */
    static final int MAX_STACK_DEPTH = Limits.DEFAULTS.maxProfileStacktraceDepth();
    static final int MAX_SYMBOL_BYTES = Limits.DEFAULTS.maxProfileSymbolValueLength();

    /** A decoded and validated profile, as the ingester holds it between decoding and storing. */
    record Decoded(PprofData pprof, PprofRefs refs) {}

    private BenchInputs() {}

    /** {@code profiles} distinct gzipped profiles; all other workload options at the bench's defaults. */
    static Workload workload(int profiles) {
        Workload w = Workload.generate(BenchOptions.parse("--profiles=" + profiles), NOW_MS);
        System.out.printf("input: %d generated CPU profiles, mean %.1f KB gzip, %.1f KB raw%n", profiles,
                w.gzipBytes() / 1e3 / profiles, w.rawBytes() / 1e3 / profiles);
        return w;
    }

    static byte[] gunzip(byte[] payload) {
        return Gzip.decompress(payload, 0, payload.length, Long.MAX_VALUE, "profile", "limits.max_profile_size_bytes");
    }

    static List<Decoded> decode(Workload w) {
        PprofDecoder decoder = new PprofDecoder();
        List<Decoded> out = new ArrayList<>();
        for (byte[] payload : w.payloads()) {
            byte[] raw = gunzip(payload);
            PprofData p = decoder.decode(raw, 0, raw.length, new PprofData());
            out.add(new Decoded(p, PprofRefs.validate(p)));
        }
        return out;
    }

    /**
     * One call tree per profile, as a query source returns them: the profiles' stacks interned
     * into one symbol table (as in one head block), then each profile's CPU values resolved into a
     * tree of function names.
     */
    static List<CallTree> callTrees(Workload w) {
        SymbolTable table = new SymbolTable();
        List<Decoded> decoded = decode(w);
        List<int[]> stacks = new ArrayList<>();
        for (Decoded d : decoded) {
            stacks.add(table.importProfile(d.pprof(), d.refs(), MAX_STACK_DEPTH, MAX_SYMBOL_BYTES));
        }
        Symbols symbols = table.publish();
        List<CallTree> trees = new ArrayList<>();
        for (int k = 0; k < decoded.size(); k++) {
            PprofData p = decoded.get(k).pprof();
            long[] values = new long[symbols.stackNodeCount];
            int[] sampleStacks = stacks.get(k);
            for (int s = 0; s < p.sampleCount; s++) {
                values[sampleStacks[s]] += p.values[p.sampleValStart[s] + CPU_VALUE];
            }
            CallTree tree = new CallTree();
            StackResolver.resolve(symbols, values, tree);
            trees.add(tree);
        }
        return trees;
    }
}
