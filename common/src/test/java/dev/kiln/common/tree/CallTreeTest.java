package dev.kiln.common.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class CallTreeTest {
    /** Children looked up in alternation: the per-node last-child shortcut must never answer with a sibling. */
    @Test
    void childFindsEachNamedChildWhateverWasLookedUpBefore() {
        CallTree t = new CallTree(4);
        int a = t.internName("a");
        int b = t.internName("b");
        int main = t.child(0, t.internName("main"));
        int ma = t.child(main, a);
        int mb = t.child(main, b);
        for (int i = 0; i < 3; i++) {
            assertEquals(ma, t.child(main, a));
            assertEquals(mb, t.child(main, b));
            assertEquals(mb, t.child(main, b));
            assertEquals(ma, t.child(main, a));
        }
        assertEquals(4, t.size());
        assertEquals(List.of(main, main), List.of(t.parent(ma), t.parent(mb)));
    }

    @Test
    void growsPastItsReservationAndMergesFromProto() {
        CallTree t = new CallTree(2);
        for (int i = 0; i < 100; i++) {
            t.addStack(new String[] {"main", "f" + i % 10, "g" + i}, i + 1);
        }
        t.reserve(10);
        CallTree copy = CallTree.fromProto(t.toProto());
        assertEquals(t.size(), copy.size());
        assertEquals(5050, copy.total());
        CallTree twice = new CallTree();
        twice.merge(t.toProto());
        twice.merge(copy);
        assertEquals(t.size(), twice.size());
        assertEquals(2 * 5050, twice.total());
        assertEquals(2L * 100, twice.self(twice.child(twice.child(twice.child(0, twice.internName("main")), twice.internName("f9")),
                twice.internName("g99"))));
    }
}
