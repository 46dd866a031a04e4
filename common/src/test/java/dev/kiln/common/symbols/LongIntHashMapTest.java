package dev.kiln.common.symbols;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LongIntHashMapTest {
    @Test
    void everyLongIsAKeyIncludingTheEmptySlotMarker() {
        LongIntHashMap map = new LongIntHashMap(4);
        assertEquals(LongIntHashMap.ABSENT, map.get(Long.MIN_VALUE));
        map.put(Long.MIN_VALUE, 7);
        map.put(0, 8);
        map.put(-1, 9);
        map.put(Long.MAX_VALUE, 10);
        assertEquals(7, map.get(Long.MIN_VALUE));
        assertEquals(8, map.get(0));
        assertEquals(9, map.get(-1));
        assertEquals(10, map.get(Long.MAX_VALUE));
        assertEquals(4, map.size());
        map.put(Long.MIN_VALUE, 11);
        assertEquals(11, map.get(Long.MIN_VALUE));
        assertEquals(4, map.size());
    }

    @Test
    void keepsEveryEntryAcrossGrowth() {
        LongIntHashMap map = new LongIntHashMap(1);
        for (int i = 0; i < 10_000; i++) {
            map.put(i * 1_000_003L - 5_000_000_000L, i);
        }
        assertEquals(10_000, map.size());
        for (int i = 0; i < 10_000; i++) {
            assertEquals(i, map.get(i * 1_000_003L - 5_000_000_000L));
        }
        assertEquals(LongIntHashMap.ABSENT, map.get(1));
    }

    @Test
    void clearEmptiesTheMapForReuse() {
        LongIntHashMap map = new LongIntHashMap(16);
        map.put(Long.MIN_VALUE, 1);
        map.put(42, 2);
        map.clear();
        assertEquals(0, map.size());
        assertEquals(LongIntHashMap.ABSENT, map.get(Long.MIN_VALUE));
        assertEquals(LongIntHashMap.ABSENT, map.get(42));
        map.put(42, 3);
        assertEquals(3, map.get(42));
        assertEquals(1, map.size());
    }

    @Test
    void putIfAbsentKeepsTheFirstValue() {
        LongIntHashMap map = new LongIntHashMap(2);
        assertEquals(LongIntHashMap.ABSENT, map.putIfAbsent(5L << 32 | 3, 1));
        assertEquals(1, map.putIfAbsent(5L << 32 | 3, 2));
        assertEquals(LongIntHashMap.ABSENT, map.putIfAbsent(Long.MIN_VALUE, 4));
        assertEquals(4, map.putIfAbsent(Long.MIN_VALUE, 5));
        assertEquals(2, map.size());
        assertEquals(1, map.get(5L << 32 | 3));
    }

    /** Keys that differ only in their high bits (tree nodes past 65,536 under the same name) stay distinct and findable. */
    @Test
    void keysDifferingOnlyInTheirHighBits() {
        LongIntHashMap map = new LongIntHashMap(1);
        map.ensureCapacity(4096);
        for (int node = 0; node < 4096; node++) {
            map.put((long) (node << 16) << 16 | 7, node);
        }
        for (int node = 0; node < 4096; node++) {
            assertEquals(node, map.get((long) (node << 16) << 16 | 7));
        }
        assertEquals(4096, map.size());
    }
}
