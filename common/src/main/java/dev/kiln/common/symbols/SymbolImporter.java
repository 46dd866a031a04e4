package dev.kiln.common.symbols;

import java.util.Arrays;

/**
 * Re-interns symbols of one table (a {@link Symbols} view) into another {@link SymbolTable} by
 * content: the same function or stack coming from two sources, with different source-local ids,
 * gets one id in the target. Each source id is translated once and remembered. Not thread-safe.
 */
public final class SymbolImporter {
    private final SymbolTable target;
    private final Symbols source;
    private final int[] strings;
    private final int[] mappings;
    private final int[] functions;
    private final int[] locations;
    private final int[] nodes;
    private int[] path = new int[64];

    public SymbolImporter(SymbolTable target, Symbols source) {
        this.target = target;
        this.source = source;
        this.strings = unmapped(source.stringCount);
        this.mappings = unmapped(source.mappingCount);
        this.functions = unmapped(source.functionCount);
        this.locations = unmapped(source.locationCount);
        this.nodes = unmapped(source.stackNodeCount);
        nodes[0] = 0;
    }

    private static int[] unmapped(int n) {
        int[] a = new int[n];
        Arrays.fill(a, -1);
        return a;
    }

    public int string(int id) {
        int v = strings[id];
        if (v < 0) {
            v = target.internString(source.strings[id]);
            strings[id] = v;
        }
        return v;
    }

    /** The target id of source location {@code loc}, interning its mapping and functions first. */
    public int location(int loc) {
        int v = locations[loc];
        if (v >= 0) {
            return v;
        }
        Symbols s = source;
        int m = s.locMapping[loc];
        int mapping = mappings[m];
        if (mapping < 0) {
            mapping = target.internMapping(s.mapStart[m], s.mapLimit[m], s.mapOffset[m],
                    string(s.mapFilename[m]), string(s.mapBuildId[m]), s.mapFlags[m]);
            mappings[m] = mapping;
        }
        int count = s.locLineCount[loc];
        int[] fns = new int[count];
        int[] lines = new int[count];
        for (int k = 0; k < count; k++) {
            int li = s.locLineStart[loc] + k;
            int f = s.lineFunction[li];
            int fn = functions[f];
            if (fn < 0) {
                fn = target.internFunction(string(s.fnName[f]), string(s.fnSystemName[f]), string(s.fnFilename[f]),
                        s.fnStartLine[f]);
                functions[f] = fn;
            }
            fns[k] = fn;
            lines[k] = s.lineNumber[li];
        }
        v = target.internLocation(mapping, s.locAddress[loc], fns, lines, count);
        locations[loc] = v;
        return v;
    }

    /** The target id of source stack node {@code node}, interning the nodes on its path from the root. */
    public int stack(int node) {
        int depth = 0;
        int n = node;
        while (nodes[n] < 0) {
            if (depth == path.length) {
                path = Arrays.copyOf(path, depth * 2);
            }
            path[depth++] = n;
            n = source.stackParent[n];
        }
        int mapped = nodes[n];
        for (int i = depth - 1; i >= 0; i--) {
            int src = path[i];
            mapped = target.internStackNode(mapped, location(source.stackLocation[src]));
            nodes[src] = mapped;
        }
        return mapped;
    }
}
