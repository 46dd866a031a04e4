package dev.kiln.common.testing;

import dev.kiln.proto.querier.v1.FlameGraph;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes a flame graph the way Grafana does (delta-encoded x offsets, children matched to parents
 * by interval containment) into root-first "a;b;c" paths with their self and total values, so tests
 * can assert exact per-stack and per-function numbers.
 */
public final class FlameGraphAssert {
    private FlameGraphAssert() {}

    public record Node(String path, long total, long self) {}

    public static List<Node> nodes(FlameGraph fg) {
        List<Node> out = new ArrayList<>();
        List<long[]> prevLevel = null; // [start, total, pathIndex]
        List<String> prevPaths = null;
        for (int d = 0; d < fg.getLevelsCount(); d++) {
            List<Long> v = fg.getLevels(d).getValuesList();
            if (v.size() % 4 != 0) {
                throw new AssertionError("level " + d + " has " + v.size() + " values, not a multiple of 4");
            }
            List<long[]> level = new ArrayList<>();
            List<String> paths = new ArrayList<>();
            long prevEnd = 0;
            for (int i = 0; i < v.size(); i += 4) {
                long start = prevEnd + v.get(i);
                long total = v.get(i + 1);
                long self = v.get(i + 2);
                int name = v.get(i + 3).intValue();
                if (name < 0 || name >= fg.getNamesCount()) {
                    throw new AssertionError("name index " + name + " out of range");
                }
                String n = fg.getNames(name);
                String path;
                if (d == 0) {
                    path = n;
                } else {
                    String parentPath = null;
                    for (int k = 0; k < prevLevel.size(); k++) {
                        long[] p = prevLevel.get(k);
                        if (start >= p[0] && start + total <= p[0] + p[1]) {
                            parentPath = prevPaths.get(k);
                            break;
                        }
                    }
                    if (parentPath == null) {
                        throw new AssertionError("node " + n + " at level " + d + " [" + start + "," + (start + total) + ") has no parent");
                    }
                    path = d == 1 ? n : parentPath + ";" + n;
                }
                level.add(new long[] {start, total});
                paths.add(d == 0 ? "" : path);
                out.add(new Node(d == 0 ? "total" : path, total, self));
                prevEnd = start + total;
            }
            prevLevel = level;
            prevPaths = paths;
        }
        return out;
    }

    /** Self value per root-first path ("a;b;c"), excluding the root. */
    public static Map<String, Long> selfByPath(FlameGraph fg) {
        Map<String, Long> m = new HashMap<>();
        for (Node n : nodes(fg)) {
            if (!n.path().equals("total") && n.self() != 0) {
                m.merge(n.path(), n.self(), Long::sum);
            }
        }
        return m;
    }

    /** Total per function name, counting each function once per stack (like Grafana's top table). */
    public static Map<String, Long> selfByFunction(FlameGraph fg) {
        Map<String, Long> m = new HashMap<>();
        for (Node n : nodes(fg)) {
            if (!n.path().equals("total") && n.self() != 0) {
                String fn = n.path().substring(n.path().lastIndexOf(';') + 1);
                m.merge(fn, n.self(), Long::sum);
            }
        }
        return m;
    }
}
