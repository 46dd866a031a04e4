package dev.kiln.common.tree;

import dev.kiln.common.symbols.Symbols;

/**
 * Turns values aggregated per stack-trace id (a location tree) into a {@link CallTree} keyed by
 * function names, expanding inlined frames. This is the last step of every flame-graph query:
 * aggregation happens on dense integer ids, names are touched once per distinct node.
 */
public final class StackResolver {
    private StackResolver() {}

    /**
     * A block's whole stack tree resolved into names: the call tree of every stack node (with no
     * values) and, per stack node, its node in that tree. A block's symbols never change, so this
     * is built once and every query of the block then resolves its values with array additions
     * instead of a hash lookup per node ({@link #resolve(Resolved, long[], CallTree)}).
     */
    public static final class Resolved {
        private final CallTree shape;
        private final int[] nodeOf;

        private Resolved(CallTree shape, int[] nodeOf) {
            this.shape = shape;
            this.nodeOf = nodeOf;
        }

        /** Memory this holds, about: the tree's node arrays (its names are the symbols' strings) and the node map. */
        public long estimatedBytes() {
            return 20L * shape.size() + 8L * shape.nameCount() + 4L * nodeOf.length;
        }
    }

    /** Resolves every stack node of {@code symbols}. */
    public static Resolved resolveAll(Symbols symbols) {
        int n = symbols.stackNodeCount;
        CallTree shape = new CallTree(n);
        int[] nodeOf = addNodes(symbols, null, null, shape);
        shape.dropIndex();
        return new Resolved(shape, nodeOf);
    }

    /**
     * Adds {@code values[n]} (the self value of stack node {@code n} of the resolved symbols) into
     * {@code into}, holding its lock like {@link #resolve(Symbols, long[], CallTree)}. Into an empty
     * tree (the first, often the only, block of a query) this copies the resolved tree's arrays.
     */
    public static void resolve(Resolved resolved, long[] values, CallTree into) {
        long[] self = new long[resolved.shape.size()];
        int n = Math.min(values.length, resolved.nodeOf.length);
        for (int i = 0; i < n; i++) {
            self[resolved.nodeOf[i]] += values[i];
        }
        synchronized (into) {
            into.add(resolved.shape, self);
        }
    }

    /**
     * Adds {@code values[n]} (the self value of stack node {@code n}, for {@code n < symbols.stackNodeCount})
     * into {@code into}. Values must be non-negative. Holds {@code into}'s lock while adding, so that
     * blocks aggregated in parallel can resolve into one tree instead of each building its own
     * tree to be merged afterwards (which costs as much again).
     */
    public static void resolve(Symbols symbols, long[] values, CallTree into) {
        int n = Math.min(values.length, symbols.stackNodeCount);
        int[] parent = symbols.stackParent;
        long[] totals = new long[n];
        System.arraycopy(values, 0, totals, 0, n);
        int used = 0;
        for (int i = n - 1; i > 0; i--) {
            totals[parent[i]] += totals[i];
            used += totals[i] != 0 ? 1 : 0;
        }
        synchronized (into) {
            // a first block sizes the tree at once; later ones mostly find their nodes there
            into.reserve(used);
            addNodes(symbols, values, totals, into);
        }
    }

    /**
     * Adds the stack nodes with a non-zero total ({@code totals} null: all of them) into
     * {@code into} with their self values ({@code values} null: none); returns each stack node's
     * node in {@code into} (0 for those left out).
     */
    private static int[] addNodes(Symbols symbols, long[] values, long[] totals, CallTree into) {
        int n = totals == null ? symbols.stackNodeCount : totals.length;
        int[] parent = symbols.stackParent;
        int[] out = new int[n];
        int[] fnName = new int[symbols.functionCount];
        int[] locName = new int[symbols.locationCount];
        for (int i = 1; i < n; i++) {
            if (totals != null && totals[i] == 0) {
                continue;
            }
            int node = out[parent[i]];
            int loc = symbols.stackLocation[i];
            int lines = symbols.locLineCount[loc];
            if (lines == 0) {
                int nm = locName[loc];
                if (nm == 0) {
                    nm = into.internName(symbols.unsymbolizedName(loc)) + 1;
                    locName[loc] = nm;
                }
                node = into.child(node, nm - 1);
            } else {
                int start = symbols.locLineStart[loc];
                // Outermost caller (last line) first: inlined callees sit below it.
                for (int k = start + lines - 1; k >= start; k--) {
                    int fn = symbols.lineFunction[k];
                    int nm = fnName[fn];
                    if (nm == 0) {
                        nm = into.internName(symbols.functionName(fn)) + 1;
                        fnName[fn] = nm;
                    }
                    node = into.child(node, nm - 1);
                }
            }
            out[i] = node;
            if (values != null && values[i] != 0) {
                into.addSelf(node, values[i]);
            }
        }
        if (values != null && n > 0 && values[0] != 0) {
            into.addSelf(0, values[0]);
        }
        return out;
    }
}
