package dev.kiln.common.symbols;

import java.util.Arrays;

/**
 * Open-addressing map from long keys to non-negative int values; {@link #ABSENT} means absent.
 * Every long is a valid key: ids read from untrusted input (pprof, JFR constant pools) can be any
 * value, including the one the table uses to mark empty slots, which is kept aside. Not
 * thread-safe.
 */
public final class LongIntHashMap {
    /** What {@link #get} returns for a key without a value. */
    public static final int ABSENT = -1;

    /** Marks an empty slot; the key itself is stored in {@link #emptyKeyValue}. */
    private static final long EMPTY = Long.MIN_VALUE;

    private long[] keys;
    private int[] vals;
    private int size;
    private int mask;
    private int emptyKeyValue = ABSENT;

    public LongIntHashMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        vals = new int[cap];
        Arrays.fill(keys, EMPTY);
        mask = cap - 1;
    }

    /** The value for {@code key}, or {@link #ABSENT}. */
    public int get(long key) {
        if (key == EMPTY) {
            return emptyKeyValue;
        }
        int i = slot(key);
        return keys[i] == key ? vals[i] : ABSENT;
    }

    /** Puts {@code key -> value}, replacing any previous value; {@code value} must be {@code >= 0}. */
    public void put(long key, int value) {
        if (key == EMPTY) {
            if (emptyKeyValue == ABSENT) {
                size++;
            }
            emptyKeyValue = value;
            return;
        }
        int i = slot(key);
        if (keys[i] == key) {
            vals[i] = value;
        } else {
            insert(i, key, value);
        }
    }

    /**
     * The value for {@code key}; when absent, puts {@code value} ({@code >= 0}) and returns
     * {@link #ABSENT}. One probe where {@link #get} then {@link #put} take two.
     */
    public int putIfAbsent(long key, int value) {
        if (key == EMPTY) {
            int old = emptyKeyValue;
            if (old == ABSENT) {
                emptyKeyValue = value;
                size++;
            }
            return old;
        }
        int i = slot(key);
        if (keys[i] == key) {
            return vals[i];
        }
        insert(i, key, value);
        return ABSENT;
    }

    /** The slot holding {@code key} (not {@link #EMPTY}), or the empty slot where it belongs. */
    private int slot(long key) {
        int i = mix(key) & mask;
        while (keys[i] != key && keys[i] != EMPTY) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private void insert(int slot, long key, int value) {
        keys[slot] = key;
        vals[slot] = value;
        if (++size * 2 > keys.length) {
            rehash(keys.length * 2);
        }
    }

    /** Makes room for {@code expected} entries without growing (growing rehashes every entry). */
    public void ensureCapacity(int expected) {
        int capacity = keys.length;
        while ((long) expected * 2 > capacity) {
            capacity *= 2;
        }
        if (capacity > keys.length) {
            rehash(capacity);
        }
    }

    public int size() {
        return size;
    }

    /** Removes every entry, keeping the capacity for reuse. */
    public void clear() {
        Arrays.fill(keys, EMPTY);
        emptyKeyValue = ABSENT;
        size = 0;
    }

    /** Approximate heap bytes, for memory accounting. */
    public long sizeBytes() {
        return keys.length * 12L;
    }

    private void rehash(int capacity) {
        long[] oldKeys = keys;
        int[] oldVals = vals;
        keys = new long[capacity];
        vals = new int[capacity];
        Arrays.fill(keys, EMPTY);
        mask = capacity - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            long key = oldKeys[j];
            if (key != EMPTY) {
                int i = slot(key);
                keys[i] = key;
                vals[i] = oldVals[j];
            }
        }
    }

    /**
     * MurmurHash3's 64-bit finalizer: every key bit reaches every bit of the slot index. Keys here are
     * often two ints packed as {@code (a << 32) | b}; a single multiply (what this was) spreads bits
     * only upwards, so the high int's upper bits never reached the masked low bits, and keys differing
     * only there (tree nodes past 65,536, say) piled into the same slots.
     */
    static int mix(long key) {
        long h = key;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) h;
    }
}
