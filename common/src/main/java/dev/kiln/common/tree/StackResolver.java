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

    private static void addNodes(Symbols symbols, long[] values, long[] totals, CallTree into) {
        int n = totals.length;
        int[] parent = symbols.stackParent;
        int[] out = new int[n];
        int[] fnName = new int[symbols.functionCount];
        int[] locName = new int[symbols.locationCount];
        for (int i = 1; i < n; i++) {
            if (totals[i] == 0) {
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
            if (values[i] != 0) {
                into.addSelf(node, values[i]);
            }
        }
        if (n > 0 && values[0] != 0) {
            into.addSelf(0, values[0]);
        }
    }
}
