package dev.kiln.bench.micro;

import dev.kiln.bench.micro.BenchInputs.Decoded;
import dev.kiln.common.pprof.PprofData;
import dev.kiln.common.symbols.LongTupleInterner;
import dev.kiln.common.symbols.StringInterner;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.symbols.Symbols;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Symbol interning on ingest, over decoded workload profiles.
 *
 * <ul>
 *   <li>{@code importProfileKnownSymbols}: {@link SymbolTable#importProfile} of one profile into a
 *       table that already holds all its symbols, the steady state of a head block (every profile
 *       of a service repeats the same functions and stacks). One operation is one profile.</li>
 *   <li>{@code importProfileIntoNewTable}: the same into an empty table, where every string,
 *       function, location and stack node is new (the first profile of a head block).</li>
 *   <li>{@code internStrings}, {@code internFunctionTuples}, {@code internStackNodes}: the three
 *       lookups importProfile is made of, over the profiles' string tables, their functions as
 *       (name, system name, file, start line) tuples, and their stack nodes as (parent, location)
 *       pairs in the root-to-leaf order ingest walks them; all already known. One operation is one
 *       lookup ({@value #BATCH} per invocation).</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SymbolInternBenchmark {
    static final int BATCH = 1024;

    @Param("16")
    public int profiles;

    private List<Decoded> decoded;
    private Cycle profileCycle;
    private SymbolTable known;

    private final StringInterner strings = new StringInterner();
    private byte[][] stringBuf;
    private int[] stringOff;
    private int[] stringLen;
    private Cycle stringCycle;

    private final LongTupleInterner functions = new LongTupleInterner();
    private long[][] functionTuples;
    private Cycle functionCycle;

    private int[] nodeParent;
    private int[] nodeLocation;
    private Cycle nodeCycle;

    @Setup
    public void intern() {
        decoded = BenchInputs.decode(BenchInputs.workload(profiles));
        profileCycle = new Cycle(decoded.size());
        known = new SymbolTable();
        List<int[]> stacks = new ArrayList<>();
        for (Decoded d : decoded) {
            stacks.add(known.importProfile(d.pprof(), d.refs(), BenchInputs.MAX_STACK_DEPTH, BenchInputs.MAX_SYMBOL_BYTES));
        }
        collectStrings();
        collectFunctions();
        collectStackNodes(known.publish(), stacks);
        System.out.printf("input: %,d strings, %,d functions, %,d stack nodes looked up; the table holds %,d stack nodes%n",
                stringLen.length, functionTuples.length, nodeParent.length, known.stackNodeCount());
    }

    @Benchmark
    public int[] importProfileKnownSymbols() {
        Decoded d = nextProfile();
        return known.importProfile(d.pprof(), d.refs(), BenchInputs.MAX_STACK_DEPTH, BenchInputs.MAX_SYMBOL_BYTES);
    }

    @Benchmark
    public int[] importProfileIntoNewTable() {
        Decoded d = nextProfile();
        return new SymbolTable().importProfile(d.pprof(), d.refs(), BenchInputs.MAX_STACK_DEPTH, BenchInputs.MAX_SYMBOL_BYTES);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int internStrings() {
        int idSum = 0;
        for (int k = 0; k < BATCH; k++) {
            int i = stringCycle.next();
            idSum += strings.intern(stringBuf[i], stringOff[i], stringLen[i]);
        }
        return idSum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int internFunctionTuples() {
        int idSum = 0;
        for (int k = 0; k < BATCH; k++) {
            long[] t = functionTuples[functionCycle.next()];
            idSum += functions.intern(t, t.length);
        }
        return idSum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int internStackNodes() {
        int idSum = 0;
        for (int k = 0; k < BATCH; k++) {
            int i = nodeCycle.next();
            idSum += known.internStackNode(nodeParent[i], nodeLocation[i]);
        }
        return idSum;
    }

    private Decoded nextProfile() {
        return decoded.get(profileCycle.next());
    }

    /** Every profile's string table, as slices of its decoded bytes; interned once so that all are known. */
    private void collectStrings() {
        int n = decoded.stream().mapToInt(d -> d.pprof().stringCount).sum();
        stringBuf = new byte[n][];
        stringOff = new int[n];
        stringLen = new int[n];
        int i = 0;
        for (Decoded d : decoded) {
            PprofData p = d.pprof();
            for (int s = 0; s < p.stringCount; s++, i++) {
                stringBuf[i] = p.buf;
                stringOff[i] = p.strOff[s];
                stringLen[i] = p.strLen[s];
                strings.intern(p.buf, p.strOff[s], p.strLen[s]);
            }
        }
        stringCycle = new Cycle(n);
    }

    /** Every profile's functions, with string ids from {@link #strings}, as the symbol table keys them. */
    private void collectFunctions() {
        List<long[]> tuples = new ArrayList<>();
        for (Decoded d : decoded) {
            PprofData p = d.pprof();
            for (int f = 0; f < p.functionCount; f++) {
                long[] t = {stringId(p, p.fnName[f]), stringId(p, p.fnSystemName[f]), stringId(p, p.fnFilename[f]), p.fnStartLine[f]};
                functions.intern(t, t.length);
                tuples.add(t);
            }
        }
        functionTuples = tuples.toArray(long[][]::new);
        functionCycle = new Cycle(functionTuples.length);
    }

    private int stringId(PprofData p, long index) {
        int s = (int) index;
        return strings.intern(p.buf, p.strOff[s], p.strLen[s]);
    }

    /** Each sample's stack nodes from the root down, as importProfile interns them. */
    private void collectStackNodes(Symbols symbols, List<int[]> stacks) {
        int n = 0;
        for (int[] profileStacks : stacks) {
            for (int leaf : profileStacks) {
                n += symbols.depth(leaf);
            }
        }
        nodeParent = new int[n];
        nodeLocation = new int[n];
        nodeCycle = new Cycle(n);
        int end = 0;
        for (int[] profileStacks : stacks) {
            for (int leaf : profileStacks) {
                end += symbols.depth(leaf);
                int i = end;
                for (int node = leaf; node != 0; node = symbols.stackParent[node]) {
                    i--;
                    nodeParent[i] = symbols.stackParent[node];
                    nodeLocation[i] = symbols.stackLocation[node];
                }
            }
        }
    }
}
