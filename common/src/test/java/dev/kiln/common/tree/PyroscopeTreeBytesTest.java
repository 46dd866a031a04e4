package dev.kiln.common.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class PyroscopeTreeBytesTest {

    /** Decodes the pre-order form into "a;b;c" → self, the way a Pyroscope client reads it. */
    static Map<String, Long> decode(byte[] bytes) {
        Map<String, Long> stacks = new TreeMap<>();
        int[] pos = {0};
        readNode(bytes, pos, new ArrayList<>(), stacks, true);
        assertEquals(bytes.length, pos[0], "trailing bytes");
        return stacks;
    }

    private static void readNode(byte[] b, int[] pos, List<String> path, Map<String, Long> out, boolean root) {
        int len = (int) uvarint(b, pos);
        String name = new String(b, pos[0], len, StandardCharsets.UTF_8);
        pos[0] += len;
        long self = uvarint(b, pos);
        long children = uvarint(b, pos);
        if (!root) {
            path.add(name);
        }
        if (self != 0) {
            out.merge(String.join(";", path), self, Long::sum);
        }
        for (long i = 0; i < children; i++) {
            readNode(b, pos, path, out, false);
        }
        if (!root) {
            path.remove(path.size() - 1);
        }
    }

    private static long uvarint(byte[] b, int[] pos) {
        long v = 0;
        int shift = 0;
        while (true) {
            int x = b[pos[0]++] & 0xFF;
            v |= (long) (x & 0x7F) << shift;
            if (x < 0x80) {
                return v;
            }
            shift += 7;
        }
    }

    @Test
    void encodesEveryStackWithItsSelfValue() {
        CallTree t = new CallTree();
        t.addStack(new String[] {"main", "work", "hash"}, 300);
        t.addStack(new String[] {"main", "work"}, 200);
        t.addStack(new String[] {"main", "idle"}, 1);
        assertEquals(Map.of("main;idle", 1L, "main;work", 200L, "main;work;hash", 300L),
                decode(PyroscopeTreeBytes.encode(t, 0)));
    }

    @Test
    void foldsSmallNodesIntoOtherAndKeepsTheTotal() {
        CallTree t = new CallTree();
        t.addStack(new String[] {"main", "big"}, 1000);
        t.addStack(new String[] {"main", "small1"}, 3);
        t.addStack(new String[] {"main", "small2"}, 2);
        Map<String, Long> decoded = decode(PyroscopeTreeBytes.encode(t, 3));
        assertEquals(Map.of("main;big", 1000L, "main;other", 5L), decoded);
    }

    @Test
    void emptyTreeIsEmptyBytes() {
        assertEquals(0, PyroscopeTreeBytes.encode(new CallTree(), 10).length);
    }
}
