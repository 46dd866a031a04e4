package dev.kiln.common.symbols;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class StackNodeMapTest {
    @Test
    void findsEveryChildAcrossGrowth() {
        StackNodeMap map = new StackNodeMap(1);
        int child = 1;
        for (int parent = 0; parent < 300; parent++) {
            for (int location = 0; location < 100; location++) {
                map.add(parent, location, child++);
            }
        }
        child = 1;
        for (int parent = 0; parent < 300; parent++) {
            for (int location = 0; location < 100; location++) {
                assertEquals(child++, map.get(parent, location));
            }
        }
        assertEquals(-1, map.get(300, 0));
        assertEquals(-1, map.get(0, 100));
        assertEquals(-1, map.get(0, -1));
    }
}
