package dev.kiln.common.jfr;

import java.util.Arrays;

/**
 * Open-addressing map from long keys to non-negative int values. The JFR hot paths look up
 * constant-pool ids and sample keys once per event; a boxed {@code HashMap<Long, Integer>}
 * would allocate on every one of them.
 */
final class LongIntMap {
    static final int MISSING = -1;

    private long[] keys;
    /** Stored value + 1, so that 0 marks an empty slot. */
    private int[] slots;
    private int size;

    LongIntMap() {
        this(16);
    }

    LongIntMap(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected) * 2 - 1) << 1;
        keys = new long[capacity];
        slots = new int[capacity];
    }

    int size() {
        return size;
    }

    /** Returns the value for {@code key}, or {@link #MISSING}. */
    int get(long key) {
        int mask = keys.length - 1;
        for (int i = hash(key) & mask; ; i = (i + 1) & mask) {
            int slot = slots[i];
            if (slot == 0) {
                return MISSING;
            }
            if (keys[i] == key) {
                return slot - 1;
            }
        }
    }

    /** Associates {@code value} (which must be {@code >= 0}) with {@code key}, replacing any previous value. */
    void put(long key, int value) {
        int mask = keys.length - 1;
        for (int i = hash(key) & mask; ; i = (i + 1) & mask) {
            if (slots[i] == 0) {
                keys[i] = key;
                slots[i] = value + 1;
                if (++size * 2 > keys.length) {
                    grow();
                }
                return;
            }
            if (keys[i] == key) {
                slots[i] = value + 1;
                return;
            }
        }
    }

    void clear() {
        Arrays.fill(slots, 0);
        size = 0;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldSlots = slots;
        keys = new long[oldKeys.length * 2];
        slots = new int[oldSlots.length * 2];
        int mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldSlots[j] != 0) {
                int i = hash(oldKeys[j]) & mask;
                while (slots[i] != 0) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                slots[i] = oldSlots[j];
            }
        }
    }

    private static int hash(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
