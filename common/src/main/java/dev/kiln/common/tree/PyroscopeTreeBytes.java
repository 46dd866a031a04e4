package dev.kiln.common.tree;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * The {@code tree} bytes of {@code SelectMergeStacktracesResponse}: a pre-order walk starting at
 * a nameless virtual root, each node written as {@code uvarint(len(name)) name uvarint(self)
 * uvarint(childCount)}. Pruning matches the flame graph: children below the maxNodes-th largest
 * total are folded into one {@code other} child.
 */
public final class PyroscopeTreeBytes {
    private PyroscopeTreeBytes() {}

    public static byte[] encode(CallTree tree, long maxNodes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, tree.size() * 16));
        long[] totals = tree.totals();
        if (totals[0] == 0) {
            return new byte[0];
        }
        long min = FlameGraphs.minTotal(totals, tree.size(), maxNodes);
        int[][] kids = FlameGraphs.children(tree);
        // Stack entries: node id, or -1 for a synthetic "other" whose self is in otherSelf.
        ArrayDeque<long[]> stack = new ArrayDeque<>();
        stack.push(new long[] {0, 0});
        boolean root = true;
        while (!stack.isEmpty()) {
            long[] item = stack.pop();
            int node = (int) item[0];
            if (node < 0) {
                writeNode(out, FlameGraphs.OTHER, item[1], 0);
                continue;
            }
            int kept = 0;
            long other = 0;
            for (int c : kids[node]) {
                if (totals[c] >= min) {
                    kept++;
                } else {
                    other += totals[c];
                }
            }
            int childCount = kept + (other > 0 ? 1 : 0);
            writeNode(out, root ? "" : tree.name(node), tree.self(node), childCount);
            root = false;
            // Push in reverse so children are written in name order.
            if (other > 0) {
                stack.push(new long[] {-1, other});
            }
            for (int i = kids[node].length - 1; i >= 0; i--) {
                int c = kids[node][i];
                if (totals[c] >= min) {
                    stack.push(new long[] {c, 0});
                }
            }
        }
        return out.toByteArray();
    }

    private static void writeNode(ByteArrayOutputStream out, String name, long self, int children) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        writeUvarint(out, n.length);
        out.write(n, 0, n.length);
        writeUvarint(out, self);
        writeUvarint(out, children);
    }

    private static void writeUvarint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
