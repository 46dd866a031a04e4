package dev.kiln.bench.micro;

import dev.kiln.common.tree.CallTree;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * {@link CallTree#merge(CallTree)} of {@code trees} call trees into a new one, as a querier
 * combines the trees of its query sources (head blocks, blocks, ingesters). Each input tree is one
 * workload profile's CPU flame graph. One operation merges all of them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TreeMergeBenchmark {
    @Param("16")
    public int trees;

    private List<CallTree> inputs;

    @Setup
    public void resolveTrees() {
        inputs = BenchInputs.callTrees(BenchInputs.workload(trees));
        System.out.printf("input: %d trees, %,d nodes in all; merged: %,d nodes%n",
                trees, inputs.stream().mapToInt(CallTree::size).sum(), merge().size());
    }

    @Benchmark
    public CallTree merge() {
        CallTree merged = new CallTree();
        for (CallTree t : inputs) {
            merged.merge(t);
        }
        return merged;
    }
}
