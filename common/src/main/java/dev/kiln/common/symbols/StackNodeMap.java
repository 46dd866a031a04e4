package dev.kiln.common.symbols;

/**
 * The stack tree's child index: (parent node, location) to child node. Open addressing over
 * triples of ints laid out side by side, so a probe reads one cache line where a map with separate
 * key and value arrays reads two; on a head block of millions of nodes every probe is a cache miss.
 * Keys are never removed. Not thread-safe.
 */
final class StackNodeMap {
    private static final int ABSENT = -1;

    /** Per slot: parent + 1 (0 marks an empty slot), location, child. */
    private int[] slots;
    private int mask;
    private int size;

    StackNodeMap(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        slots = new int[capacity * 3];
        mask = capacity - 1;
    }

    /** The child of {@code parent} for {@code location}, or -1. */
    int get(int parent, int location) {
        int[] s = slots;
        int i = slot(parent, location, mask);
        while (true) {
            int p = s[i * 3];
            if (p == 0) {
                return ABSENT;
            }
            if (p == parent + 1 && s[i * 3 + 1] == location) {
                return s[i * 3 + 2];
            }
            i = (i + 1) & mask;
        }
    }

    /** Adds a child that {@link #get} does not know yet. */
    void add(int parent, int location, int child) {
        if ((size + 1) * 2 > mask + 1) {
            grow();
        }
        insert(slots, mask, parent, location, child);
        size++;
    }

    long sizeBytes() {
        return slots.length * 4L;
    }

    private static void insert(int[] s, int mask, int parent, int location, int child) {
        int i = slot(parent, location, mask);
        while (s[i * 3] != 0) {
            i = (i + 1) & mask;
        }
        s[i * 3] = parent + 1;
        s[i * 3 + 1] = location;
        s[i * 3 + 2] = child;
    }

    private void grow() {
        int[] old = slots;
        int newMask = (mask + 1) * 2 - 1;
        int[] s = new int[(newMask + 1) * 3];
        for (int i = 0; i < old.length; i += 3) {
            if (old[i] != 0) {
                insert(s, newMask, old[i] - 1, old[i + 1], old[i + 2]);
            }
        }
        slots = s;
        mask = newMask;
    }

    private static int slot(int parent, int location, int mask) {
        long h = (((long) parent << 32) | (location & 0xffffffffL)) * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }
}
