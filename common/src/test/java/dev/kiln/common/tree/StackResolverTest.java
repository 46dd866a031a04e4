package dev.kiln.common.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.symbols.Symbols;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Resolving through a block's cached {@link StackResolver.Resolved} gives the trees direct resolution gives. */
class StackResolverTest {
    private static int location(SymbolTable t, long address, String... innermostFirst) {
        int[] fns = new int[innermostFirst.length];
        int[] lines = new int[innermostFirst.length];
        for (int k = 0; k < fns.length; k++) {
            int name = t.internString(innermostFirst[k]);
            fns[k] = t.internFunction(name, name, 0, 0);
            lines[k] = k + 1;
        }
        return t.internLocation(0, address, fns, lines, fns.length);
    }

    private static Map<String, Long> selfByPath(CallTree t) {
        Map<String, Long> out = new HashMap<>();
        for (int i = 1; i < t.size(); i++) {
            if (t.self(i) != 0) {
                StringBuilder path = new StringBuilder(t.name(i));
                for (int p = t.parent(i); p > 0; p = t.parent(p)) {
                    path.insert(0, t.name(p) + ";");
                }
                out.merge(path.toString(), t.self(i), Long::sum);
            }
        }
        return out;
    }

    /**
     * main -> (a at two addresses, so two stack nodes of one name) -> b, and main -> c with d
     * inlined into it: the name tree has main;a;b once, and main;c;d.
     */
    @Test
    void cachedResolutionEqualsDirectResolutionIntoEmptyAndFilledTrees() {
        SymbolTable t = new SymbolTable();
        int main = t.internStackNode(0, location(t, 1, "main"));
        int a1 = t.internStackNode(main, location(t, 2, "a"));
        int a2 = t.internStackNode(main, location(t, 3, "a"));
        int b1 = t.internStackNode(a1, location(t, 4, "b"));
        int b2 = t.internStackNode(a2, location(t, 4, "b"));
        int cd = t.internStackNode(main, location(t, 5, "d", "c"));
        Symbols s = t.publish();
        long[] values = new long[s.stackNodeCount];
        values[b1] = 3;
        values[b2] = 4;
        values[cd] = 5;
        values[a2] = 1;
        StackResolver.Resolved resolved = StackResolver.resolveAll(s);

        CallTree direct = new CallTree();
        StackResolver.resolve(s, values, direct);
        CallTree cached = new CallTree();
        StackResolver.resolve(resolved, values, cached);
        Map<String, Long> expected = Map.of("main;a;b", 7L, "main;a", 1L, "main;c;d", 5L);
        assertEquals(expected, selfByPath(direct));
        assertEquals(expected, selfByPath(cached));
        assertEquals(direct.toProto(), cached.toProto());

        // into a tree that already holds nodes (a second block): added, zero branches left out
        long[] onlyD = new long[s.stackNodeCount];
        onlyD[cd] = 2;
        StackResolver.resolve(resolved, onlyD, direct);
        StackResolver.resolve(resolved, onlyD, cached);
        assertEquals(Map.of("main;a;b", 7L, "main;a", 1L, "main;c;d", 7L), selfByPath(cached));
        assertEquals(direct.toProto(), cached.toProto());
        CallTree fresh = new CallTree();
        fresh.addStack(new String[] {"x"}, 1);
        StackResolver.resolve(resolved, onlyD, fresh);
        assertEquals(5, fresh.size()); // the root, x, main, c, d: main;a and main;a;b are not added
        assertEquals(Map.of("x", 1L, "main;c;d", 2L), selfByPath(fresh));
    }
}
