package dev.kiln.common.symbols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.InvalidInputException;
import dev.kiln.common.pprof.PprofData;
import dev.kiln.common.pprof.PprofDecoder;
import dev.kiln.common.pprof.PprofRefs;
import dev.kiln.common.testing.FlameGraphAssert;
import dev.kiln.common.testing.PprofBuilder;
import dev.kiln.common.tree.CallTree;
import dev.kiln.common.tree.FlameGraphs;
import dev.kiln.common.tree.StackResolver;
import dev.kiln.proto.pprof.Function;
import dev.kiln.proto.pprof.Line;
import dev.kiln.proto.pprof.Location;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.pprof.Sample;
import dev.kiln.proto.pprof.ValueType;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SymbolTableTest {
    private static PprofData decode(byte[] b) {
        return new PprofDecoder().decode(b, 0, b.length, new PprofData());
    }

    private static int[] imp(SymbolTable t, PprofData d, int maxDepth) {
        return t.importProfile(d, PprofRefs.validate(d), maxDepth);
    }

    @Test
    void importedStacksResolveToTheSameFlameGraph() {
        SymbolTable t = new SymbolTable();
        int[] s1 = imp(t, decode(PprofBuilder.cpu().stack(3, "main", "a", "b").stack(4, "main", "c").bytes()), 1000);
        int[] s2 = imp(t, decode(PprofBuilder.cpu().stack(5, "main", "c").stack(1, "main", "a").bytes()), 1000);
        assertEquals(s1[1], s2[0], "same stack in two profiles gets the same id");
        assertNotEquals(s1[0], s2[1]);
        Symbols v = t.publish();
        long[] values = new long[v.stackNodeCount];
        values[s1[0]] += 3;
        values[s1[1]] += 4;
        values[s2[0]] += 5;
        values[s2[1]] += 1;
        CallTree tree = new CallTree();
        StackResolver.resolve(v, values, tree);
        Map<String, Long> self = FlameGraphAssert.selfByPath(FlameGraphs.render(tree, 0));
        assertEquals(Map.of("main;a;b", 3L, "main;c", 9L, "main;a", 1L), self);
        assertEquals(3, v.depth(s1[0]));
    }

    @Test
    void repeatedStacksMatchOnlyTheExactSameFrames() {
        SymbolTable t = new SymbolTable();
        int[] first = imp(t, decode(PprofBuilder.cpu().stack(1, "main", "a", "b").bytes()), 1000);
        // The same stack again (under other pprof ids), its parent, a longer stack ending in the same
        // frames, and one that differs only at the root: only the first may reuse the known stack.
        int[] again = imp(t, decode(PprofBuilder.cpu().stack(1, "x").stack(2, "main", "a").stack(4, "main", "a", "b")
                .stack(8, "init", "main", "a", "b").stack(16, "other", "a", "b").bytes()), 1000);
        int[] truncated = imp(t, decode(PprofBuilder.cpu().stack(32, "init", "main", "a", "b").bytes()), 3);
        Symbols v = t.publish();
        assertEquals(first[0], again[2]);
        assertEquals(first[0], truncated[0], "keeping the 3 leaf-most frames gives main;a;b");
        assertEquals(v.stackParent[first[0]], again[1]);
        long[] values = new long[v.stackNodeCount];
        for (int i = 0; i < again.length; i++) {
            values[again[i]] += 1L << i;
        }
        CallTree tree = new CallTree();
        StackResolver.resolve(v, values, tree);
        assertEquals(Map.of("x", 1L, "main;a", 2L, "main;a;b", 4L, "init;main;a;b", 8L, "other;a;b", 16L),
                FlameGraphAssert.selfByPath(FlameGraphs.render(tree, 0)));
    }

    /**
     * Deep stacks that differ only at the leaf add one node each but a whole path to the known
     * stacks' store, which stops growing at its cap: stacks past it are found frame by frame and
     * get the same ids as the cached ones would.
     */
    @Test
    void stacksPastTheKnownStacksCapStillGetTheirIds() {
        SymbolTable t = new SymbolTable();
        String[] prefix = new String[59];
        for (int i = 0; i < prefix.length; i++) {
            prefix[i] = "frame" + i;
        }
        PprofBuilder b = PprofBuilder.cpu();
        int stacks = 400;
        for (int k = 0; k < stacks; k++) {
            String[] frames = java.util.Arrays.copyOf(prefix, 60);
            frames[59] = "leaf" + k;
            b.stack(k + 1, frames);
        }
        PprofData profile = decode(b.bytes());
        long before = t.sizeBytes();
        int[] first = imp(t, profile, 1000);
        int[] second = imp(t, profile, 1000);
        assertEquals(java.util.Arrays.toString(first), java.util.Arrays.toString(second), "the same stacks, the same ids");
        assertEquals(stacks, java.util.Arrays.stream(first).distinct().count());
        Symbols v = t.publish();
        assertEquals(60 + stacks, v.stackNodeCount, "root, the 59 shared frames and one leaf per stack");
        // 400 paths of 62 ints would be ~99 KB; the cap keeps them within 8 ints per node (~15 KB).
        assertTrue(t.sizeBytes() - before < 64 << 10, "table grew by " + (t.sizeBytes() - before));
        long[] values = new long[v.stackNodeCount];
        for (int k = 0; k < stacks; k++) {
            values[second[k]] += k + 1;
        }
        CallTree tree = new CallTree();
        StackResolver.resolve(v, values, tree);
        Map<String, Long> self = FlameGraphAssert.selfByPath(FlameGraphs.render(tree, 0));
        assertEquals(stacks, self.size());
        assertEquals(400L, self.get(String.join(";", prefix) + ";leaf399"));
    }

    @Test
    void functionsAndLocationsAreTheSameOnlyWhenEveryFieldIs() {
        SymbolTable t = new SymbolTable();
        int name = t.internString("main");
        int file = t.internString("main.go");
        int fn = t.internFunction(name, name, file, 10);
        assertEquals(fn, t.internFunction(name, name, file, 10));
        int otherFile = t.internFunction(name, name, t.internString("other.go"), 10);
        int otherStart = t.internFunction(name, name, file, 11);
        assertEquals(3, java.util.Set.of(fn, otherFile, otherStart).size());
        assertEquals(fn, t.internFunction(name, name, file, 10), "the first function is still found after others of its name");

        int loc = t.internLocation(0, 0, new int[] {fn}, new int[] {5}, 1);
        assertEquals(loc, t.internLocation(0, 0, new int[] {fn}, new int[] {5}, 1));
        int otherLine = t.internLocation(0, 0, new int[] {fn}, new int[] {6}, 1);
        int otherAddress = t.internLocation(0, 0x40, new int[] {fn}, new int[] {5}, 1);
        int inlined = t.internLocation(0, 0, new int[] {fn, otherFile}, new int[] {5, 7}, 2);
        assertEquals(4, java.util.Set.of(loc, otherLine, otherAddress, inlined).size());
        assertEquals(loc, t.internLocation(0, 0, new int[] {fn}, new int[] {5}, 1));
        assertEquals(inlined, t.internLocation(0, 0, new int[] {fn, otherFile}, new int[] {5, 7}, 2));
    }

    @Test
    void inlinedFramesExpandOutermostFirst() {
        Profile p = Profile.newBuilder()
                .addStringTable("").addStringTable("outer").addStringTable("inlined")
                .addSampleType(ValueType.newBuilder().setType(1).setUnit(1))
                .addFunction(Function.newBuilder().setId(1).setName(1))
                .addFunction(Function.newBuilder().setId(2).setName(2))
                .addLocation(Location.newBuilder().setId(7)
                        .addLine(Line.newBuilder().setFunctionId(2).setLine(10))
                        .addLine(Line.newBuilder().setFunctionId(1).setLine(20)))
                .addSample(Sample.newBuilder().addLocationId(7).addValue(9))
                .build();
        SymbolTable t = new SymbolTable();
        int[] stacks = imp(t, decode(p.toByteArray()), 1000);
        Symbols v = t.publish();
        long[] values = new long[v.stackNodeCount];
        values[stacks[0]] = 9;
        CallTree tree = new CallTree();
        StackResolver.resolve(v, values, tree);
        assertEquals(Map.of("outer;inlined", 9L), FlameGraphAssert.selfByPath(FlameGraphs.render(tree, 0)));
    }

    @Test
    void deepStacksKeepLeafFrames() {
        SymbolTable t = new SymbolTable();
        int[] stacks = imp(t, decode(PprofBuilder.cpu().stack(1, "r", "x1", "x2", "x3", "leaf").bytes()), 3);
        Symbols v = t.publish();
        assertEquals(3, v.depth(stacks[0]));
        long[] values = new long[v.stackNodeCount];
        values[stacks[0]] = 1;
        CallTree tree = new CallTree();
        StackResolver.resolve(v, values, tree);
        assertEquals(Map.of("x2;x3;leaf", 1L), FlameGraphAssert.selfByPath(FlameGraphs.render(tree, 0)));
    }

    @Test
    void danglingReferencesAreRejected() {
        Profile badLoc = Profile.newBuilder().addStringTable("").addSampleType(ValueType.getDefaultInstance())
                .addSample(Sample.newBuilder().addLocationId(99).addValue(1)).build();
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> imp(new SymbolTable(), decode(badLoc.toByteArray()), 100));
        assertTrue(e.getMessage().contains("unknown location id 99"), e.getMessage());
        Profile badString = Profile.newBuilder().addStringTable("")
                .addFunction(Function.newBuilder().setId(1).setName(42)).build();
        e = assertThrows(InvalidInputException.class, () -> imp(new SymbolTable(), decode(badString.toByteArray()), 100));
        assertTrue(e.getMessage().contains("string index 42 out of range"), e.getMessage());
        Profile noEmpty = Profile.newBuilder().addStringTable("x").build();
        assertThrows(InvalidInputException.class, () -> imp(new SymbolTable(), decode(noEmpty.toByteArray()), 100));
    }
}
