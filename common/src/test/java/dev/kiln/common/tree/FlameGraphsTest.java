package dev.kiln.common.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.common.testing.FlameGraphAssert;
import dev.kiln.proto.querier.v1.FlameGraph;
import dev.kiln.proto.querier.v1.FlameGraphDiff;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FlameGraphsTest {
    private static CallTree sample() {
        CallTree t = new CallTree();
        t.addStack(new String[] {"main", "a", "b"}, 10);
        t.addStack(new String[] {"main", "a"}, 5);
        t.addStack(new String[] {"main", "c"}, 20);
        t.addStack(new String[] {"main", "d"}, 1);
        t.addStack(new String[] {"main", "e"}, 2);
        return t;
    }

    @Test
    void levelsAreEncodedExactlyAsGrafanaDecodesThem() {
        FlameGraph fg = FlameGraphs.render(sample(), 0);
        assertEquals("total", fg.getNames(0));
        assertEquals(38, fg.getTotal());
        assertEquals(20, fg.getMaxSelf());
        assertEquals(List.of(0L, 38L, 0L, 0L), fg.getLevels(0).getValuesList());
        // level 1: main [0,38)
        assertEquals(List.of(0L, 38L, 0L, (long) fg.getNamesList().indexOf("main")), fg.getLevels(1).getValuesList());
        // level 2 children of main, sorted by name: a[0,15) c[15,35) d[35,36) e[36,38); offsets delta-encoded
        List<Long> l2 = fg.getLevels(2).getValuesList();
        assertEquals(16, l2.size());
        assertEquals(List.of(0L, 15L, 5L), l2.subList(0, 3));
        assertEquals(List.of(0L, 20L, 20L), l2.subList(4, 7));
        assertEquals(List.of(0L, 1L, 1L), l2.subList(8, 11));
        assertEquals(List.of(0L, 2L, 2L), l2.subList(12, 15));
        assertEquals(Map.of("main;a;b", 10L, "main;a", 5L, "main;c", 20L, "main;d", 1L, "main;e", 2L), FlameGraphAssert.selfByPath(fg));
    }

    @Test
    void maxNodesFoldsSmallNodesIntoOtherAndKeepsTotals() {
        // totals: root 38, main 38, c 20, a 15, b 10, e 2, d 1 -> 5 nodes keep totals >= 10
        FlameGraph fg = FlameGraphs.render(sample(), 5);
        Map<String, Long> self = FlameGraphAssert.selfByPath(fg);
        assertEquals(Map.of("main;a;b", 10L, "main;a", 5L, "main;c", 20L, "main;other", 3L), self);
        assertEquals(38, fg.getTotal());
        long sum = self.values().stream().mapToLong(Long::longValue).sum();
        assertEquals(38, sum);
    }

    @Test
    void mergeAndProtoRoundTrip() {
        CallTree a = sample();
        CallTree b = new CallTree();
        b.addStack(new String[] {"main", "c"}, 5);
        b.addStack(new String[] {"other_root"}, 7);
        a.merge(CallTree.fromProto(b.toProto()));
        FlameGraph fg = FlameGraphs.render(a, 0);
        assertEquals(50, fg.getTotal());
        assertEquals(25L, FlameGraphAssert.selfByPath(fg).get("main;c"));
        assertEquals(7L, FlameGraphAssert.selfByPath(fg).get("other_root"));
    }

    @Test
    void diffCarriesBothSides() {
        CallTree left = new CallTree();
        left.addStack(new String[] {"main", "a"}, 10);
        left.addStack(new String[] {"main", "b"}, 5);
        CallTree right = new CallTree();
        right.addStack(new String[] {"main", "a"}, 4);
        right.addStack(new String[] {"main", "c"}, 6);
        FlameGraphDiff d = FlameGraphs.renderDiff(left, right, 0);
        assertEquals(15, d.getLeftTicks());
        assertEquals(10, d.getRightTicks());
        assertEquals(25, d.getTotal());
        assertEquals(List.of(0L, 15L, 0L, 0L, 10L, 0L, 0L), d.getLevels(0).getValuesList());
        List<Long> l2 = d.getLevels(2).getValuesList();
        assertEquals(21, l2.size()); // a, b, c
        // a: left [0,10) right [0,4)
        assertEquals(List.of(0L, 10L, 10L, 0L, 4L, 4L), l2.subList(0, 6));
        // b: left [10,15) self 5; right [4,4) empty
        assertEquals(List.of(0L, 5L, 5L, 0L, 0L, 0L), l2.subList(7, 13));
        // c: left [15,15) empty; right [4,10)
        assertEquals(List.of(0L, 0L, 0L, 0L, 6L, 6L), l2.subList(14, 20));
    }
}
