package dev.kiln.common.tree;

import dev.kiln.proto.querier.v1.FlameGraph;
import dev.kiln.proto.querier.v1.FlameGraphDiff;
import dev.kiln.proto.querier.v1.Level;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders call trees as Pyroscope/Grafana flame graphs: {@code names[0] = "total"}, one level per
 * depth of 4-tuples {@code [x_offset, total, self, name_index]} with x_offset delta-encoded against
 * the end of the previous node in the same level. With {@code maxNodes}, nodes whose total is
 * below the maxNodes-th largest total are folded into an {@code other} child of their parent, so
 * totals are preserved.
 */
public final class FlameGraphs {
    public static final String OTHER = "other";

    private FlameGraphs() {}

    public static FlameGraph render(CallTree tree, long maxNodes) {
        long[] totals = tree.totals();
        long minTotal = minTotal(totals, tree.size(), maxNodes);
        List<String> names = new ArrayList<>();
        Map<String, Integer> nameIndex = new HashMap<>();
        names.add("total");
        nameIndex.put("total", 0);
        List<long[]> levels = new ArrayList<>();
        int[][] children = children(tree);
        long maxSelf = 0;

        // Iterative DFS: (node, depth, absolute x). "other" nodes are synthetic, marked by -1.
        int[] stackNode = new int[64];
        long[] stackX = new long[64];
        long[] stackOtherTotal = new long[64];
        int[] stackDepth = new int[64];
        int sp = 0;
        stackNode[sp] = 0;
        stackX[sp] = 0;
        stackDepth[sp] = 0;
        sp++;
        long[] prevEnd = new long[16];
        int[] levelSize = new int[16];
        while (sp > 0) {
            sp--;
            int node = stackNode[sp];
            long x = stackX[sp];
            int depth = stackDepth[sp];
            long total;
            long self;
            int nameIdx;
            if (node < 0) {
                total = stackOtherTotal[sp];
                self = total;
                nameIdx = nameIndex.computeIfAbsent(OTHER, k -> {
                    names.add(k);
                    return names.size() - 1;
                });
            } else {
                total = totals[node];
                self = tree.self(node);
                String n = node == 0 ? "total" : tree.name(node);
                Integer idx = nameIndex.get(n);
                if (idx == null) {
                    idx = names.size();
                    names.add(n);
                    nameIndex.put(n, idx);
                }
                nameIdx = idx;
            }
            if (depth == levels.size()) {
                levels.add(new long[64]);
                if (depth == prevEnd.length) {
                    prevEnd = Arrays.copyOf(prevEnd, depth * 2);
                    levelSize = Arrays.copyOf(levelSize, depth * 2);
                }
            }
            long[] level = levels.get(depth);
            int ls = levelSize[depth];
            if (ls + 4 > level.length) {
                level = Arrays.copyOf(level, level.length * 2);
                levels.set(depth, level);
            }
            level[ls] = x - prevEnd[depth];
            level[ls + 1] = total;
            level[ls + 2] = self;
            level[ls + 3] = nameIdx;
            levelSize[depth] = ls + 4;
            prevEnd[depth] = x + total;
            maxSelf = Math.max(maxSelf, self);
            if (node < 0) {
                continue;
            }
            // Push children in reverse so the first child is rendered first (leftmost).
            int[] kids = children[node];
            long childX = x;
            long other = 0;
            int kept = 0;
            int[] keptKids = new int[kids.length];
            long[] keptX = new long[kids.length];
            for (int c : kids) {
                if (totals[c] < minTotal) {
                    other += totals[c];
                    continue;
                }
                keptKids[kept] = c;
                keptX[kept++] = childX;
                childX += totals[c];
            }
            int need = sp + kept + 1;
            if (need > stackNode.length) {
                int n = Math.max(need, stackNode.length * 2);
                stackNode = Arrays.copyOf(stackNode, n);
                stackX = Arrays.copyOf(stackX, n);
                stackOtherTotal = Arrays.copyOf(stackOtherTotal, n);
                stackDepth = Arrays.copyOf(stackDepth, n);
            }
            if (other > 0) {
                stackNode[sp] = -1;
                stackX[sp] = childX;
                stackOtherTotal[sp] = other;
                stackDepth[sp] = depth + 1;
                sp++;
            }
            for (int k = kept - 1; k >= 0; k--) {
                stackNode[sp] = keptKids[k];
                stackX[sp] = keptX[k];
                stackDepth[sp] = depth + 1;
                sp++;
            }
        }
        FlameGraph.Builder fg = FlameGraph.newBuilder().addAllNames(names).setTotal(totals[0]).setMaxSelf(maxSelf);
        for (int d = 0; d < levels.size(); d++) {
            Level.Builder lb = Level.newBuilder();
            long[] level = levels.get(d);
            for (int i = 0; i < levelSize[d]; i++) {
                lb.addValues(level[i]);
            }
            fg.addLevels(lb);
        }
        return fg.build();
    }

    /** Children of every node, sorted by name so output is deterministic. */
    static int[][] children(CallTree tree) {
        int n = tree.size();
        int[] counts = new int[n];
        for (int i = 1; i < n; i++) {
            counts[tree.parent(i)]++;
        }
        int[][] kids = new int[n][];
        for (int i = 0; i < n; i++) {
            kids[i] = new int[counts[i]];
        }
        int[] fill = new int[n];
        for (int i = 1; i < n; i++) {
            int p = tree.parent(i);
            kids[p][fill[p]++] = i;
        }
        Comparator<Integer> byName = Comparator.comparing(tree::name);
        for (int i = 0; i < n; i++) {
            if (kids[i].length > 1) {
                Integer[] boxed = Arrays.stream(kids[i]).boxed().toArray(Integer[]::new);
                Arrays.sort(boxed, byName);
                for (int k = 0; k < boxed.length; k++) {
                    kids[i][k] = boxed[k];
                }
            }
        }
        return kids;
    }

    /**
     * The smallest total a node may have to be kept: the maxNodes-th largest total. Nodes with a
     * zero total are never rendered.
     */
    static long minTotal(long[] totals, int size, long maxNodes) {
        if (maxNodes <= 0 || size <= maxNodes) {
            return 1;
        }
        long[] copy = Arrays.copyOf(totals, size);
        Arrays.sort(copy);
        return Math.max(1, copy[size - (int) maxNodes]);
    }

    /**
     * A diff flame graph of two trees: one node per path present on either side, levels of
     * 7-tuples {@code [left_x, left_total, left_self, right_x, right_total, right_self, name]},
     * each x delta-encoded independently. Nodes are kept when either side's total reaches the
     * maxNodes-th largest of max(left, right).
     */
    public static FlameGraphDiff renderDiff(CallTree left, CallTree right, long maxNodes) {
        // The union holds the shape only; each side's values are kept in separate arrays.
        CallTree union = new CallTree();
        int[] leftMap = mapInto(union, left);
        int[] rightMap = mapInto(union, right);
        int n = union.size();
        long[] lSelf = new long[n];
        long[] rSelf = new long[n];
        for (int i = 0; i < left.size(); i++) {
            lSelf[leftMap[i]] += left.self(i);
        }
        for (int i = 0; i < right.size(); i++) {
            rSelf[rightMap[i]] += right.self(i);
        }
        long[] lTot = Arrays.copyOf(lSelf, n);
        long[] rTot = Arrays.copyOf(rSelf, n);
        for (int i = n - 1; i > 0; i--) {
            lTot[union.parent(i)] += lTot[i];
            rTot[union.parent(i)] += rTot[i];
        }
        long[] maxTot = new long[n];
        for (int i = 0; i < n; i++) {
            maxTot[i] = Math.max(lTot[i], rTot[i]);
        }
        long minTotal = minTotal(maxTot, n, maxNodes);
        int[][] children = children(union);

        List<String> names = new ArrayList<>();
        Map<String, Integer> nameIndex = new HashMap<>();
        List<List<long[]>> levels = new ArrayList<>();
        long maxSelf = 0;
        // DFS with explicit stack of (node, depth, lx, rx); synthetic "other" carries its values.
        record Item(int node, int depth, long lx, long rx, long lt, long ls, long rt, long rs) {}
        ArrayList<Item> stack = new ArrayList<>();
        stack.add(new Item(0, 0, 0, 0, lTot[0], lSelf[0], rTot[0], rSelf[0]));
        while (!stack.isEmpty()) {
            Item it = stack.remove(stack.size() - 1);
            String nm = it.node < 0 ? OTHER : it.node == 0 ? "total" : union.name(it.node);
            Integer idx = nameIndex.get(nm);
            if (idx == null) {
                idx = names.size();
                names.add(nm);
                nameIndex.put(nm, idx);
            }
            while (levels.size() <= it.depth) {
                levels.add(new ArrayList<>());
            }
            levels.get(it.depth).add(new long[] {it.lx, it.lt, it.ls, it.rx, it.rt, it.rs, idx});
            maxSelf = Math.max(maxSelf, Math.max(it.ls, it.rs));
            if (it.node < 0) {
                continue;
            }
            long lx = it.lx;
            long rx = it.rx;
            long otherL = 0;
            long otherR = 0;
            List<Item> kids = new ArrayList<>();
            for (int c : children[it.node]) {
                if (maxTot[c] < minTotal) {
                    otherL += lTot[c];
                    otherR += rTot[c];
                    continue;
                }
                kids.add(new Item(c, it.depth + 1, lx, rx, lTot[c], lSelf[c], rTot[c], rSelf[c]));
                lx += lTot[c];
                rx += rTot[c];
            }
            if (otherL > 0 || otherR > 0) {
                stack.add(new Item(-1, it.depth + 1, lx, rx, otherL, otherL, otherR, otherR));
            }
            for (int k = kids.size() - 1; k >= 0; k--) {
                stack.add(kids.get(k));
            }
        }
        FlameGraphDiff.Builder fg = FlameGraphDiff.newBuilder()
                .addAllNames(names)
                .setTotal(lTot[0] + rTot[0])
                .setMaxSelf(maxSelf)
                .setLeftTicks(lTot[0])
                .setRightTicks(rTot[0]);
        for (List<long[]> level : levels) {
            Level.Builder lb = Level.newBuilder();
            long prevL = 0;
            long prevR = 0;
            for (long[] v : level) {
                lb.addValues(v[0] - prevL).addValues(v[1]).addValues(v[2])
                        .addValues(v[3] - prevR).addValues(v[4]).addValues(v[5]).addValues(v[6]);
                prevL = v[0] + v[1];
                prevR = v[3] + v[4];
            }
            fg.addLevels(lb);
        }
        return fg.build();
    }

    /** Maps each node of {@code part} to its node in {@code union}, adding missing paths. */
    private static int[] mapInto(CallTree union, CallTree part) {
        int[] map = new int[part.size()];
        for (int i = 1; i < part.size(); i++) {
            map[i] = union.child(map[part.parent(i)], union.internName(part.name(i)));
        }
        return map;
    }
}
