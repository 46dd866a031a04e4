package dev.kiln.querier;

import dev.kiln.common.memory.QueryMemoryBudget;
import dev.kiln.common.tree.CallTree;
import dev.kiln.proto.query.v1.Tree;
import java.util.function.Consumer;

/**
 * Merges the call trees of a query's sources as they are taken. A single answer (older data lives
 * on store-gateways only) is passed through as it came, without rebuilding it; from the second on,
 * they merge into one tree sized like the larger of the first two, counted against the query's
 * memory reservation.
 */
final class TreeParts implements Consumer<Tree> {
    private final QueryMemoryBudget.Reservation memory;
    private Tree only;
    private CallTree merged;

    TreeParts(QueryMemoryBudget.Reservation memory) {
        this.memory = memory;
    }

    @Override
    public void accept(Tree part) {
        if (merged == null && only == null) {
            only = part;
            return;
        }
        if (merged == null) {
            merged = new CallTree(Math.max(only.getParentCount(), part.getParentCount()));
            merged.track(memory);
            merged.merge(only);
            only = null;
        }
        merged.merge(part);
    }

    Tree result() {
        if (merged != null) {
            return merged.toProto();
        }
        return only != null ? only : new CallTree().toProto();
    }
}
