package dev.kiln.bench.micro;

import dev.kiln.common.tree.CallTree;
import dev.kiln.common.tree.FlameGraphs;
import dev.kiln.proto.querier.v1.FlameGraph;
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
 * {@link FlameGraphs#render}: a merged call tree (of {@code trees} workload profiles) into the
 * query response's flame graph, folding the nodes beyond {@code maxNodes} into "other" (8,192 is
 * the default of limits.max_flamegraph_nodes_default). One operation is one rendering.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class FlameGraphRenderBenchmark {
    @Param("16")
    public int trees;
    @Param({"1024", "8192"})
    public int maxNodes;

    private CallTree merged;

    @Setup
    public void mergeTrees() {
        merged = new CallTree();
        for (CallTree t : BenchInputs.callTrees(BenchInputs.workload(trees))) {
            merged.merge(t);
        }
        System.out.printf("input: merged tree of %d profiles, %,d nodes, rendered to at most %,d%n", trees, merged.size(), maxNodes);
    }

    @Benchmark
    public FlameGraph render() {
        return FlameGraphs.render(merged, maxNodes);
    }
}
