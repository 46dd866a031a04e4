package dev.kiln.common.symbols;

import java.util.Arrays;

/**
 * Interns variable-length tuples of longs to dense ids 0, 1, 2, ... Used for functions, mappings
 * and locations, whose identity is a handful of numbers (string ids, addresses, line lists).
 * Not thread-safe: one writer per symbol table.
 */
public final class LongTupleInterner {
    private long[] arena = new long[1024];
    private int arenaSize;
    private int[] offsets = new int[256];
    private int[] lengths = new int[256];
    private int[] hashes = new int[256];
    private int count;
    /** Open addressing; a slot holds {@code hash << 32 | (id + 1)}, 0 when empty, so a probe rarely looks past the table. */
    private long[] table;
    private int mask;

    public LongTupleInterner() {
        table = new long[1024];
        mask = table.length - 1;
    }

    public int size() {
        return count;
    }

    /** Returns the id of {@code tuple[0..len)}, adding it when new. */
    public int intern(long[] tuple, int len) {
        int h = hash(tuple, 0, len);
        int i = h & mask;
        while (true) {
            long slot = table[i];
            if (slot == 0) {
                int id = add(tuple, len, h);
                table[i] = (long) h << 32 | (id + 1);
                if ((count << 1) > table.length) {
                    rehash();
                }
                return id;
            }
            int id = (int) slot - 1;
            if ((int) (slot >>> 32) == h && equalsAt(id, tuple, len)) {
                return id;
            }
            i = (i + 1) & mask;
        }
    }

    public long sizeBytes() {
        return arena.length * 8L + offsets.length * 12L + table.length * 8L;
    }

    private boolean equalsAt(int id, long[] tuple, int len) {
        if (lengths[id] != len) {
            return false;
        }
        int off = offsets[id];
        for (int k = 0; k < len; k++) {
            if (arena[off + k] != tuple[k]) {
                return false;
            }
        }
        return true;
    }

    private int add(long[] tuple, int len, int h) {
        if (arenaSize + len > arena.length) {
            arena = Arrays.copyOf(arena, Math.max(arena.length * 2, arenaSize + len));
        }
        System.arraycopy(tuple, 0, arena, arenaSize, len);
        if (count == offsets.length) {
            offsets = Arrays.copyOf(offsets, count * 2);
            lengths = Arrays.copyOf(lengths, count * 2);
            hashes = Arrays.copyOf(hashes, count * 2);
        }
        offsets[count] = arenaSize;
        lengths[count] = len;
        hashes[count] = h;
        arenaSize += len;
        return count++;
    }

    private void rehash() {
        table = new long[table.length * 2];
        mask = table.length - 1;
        for (int id = 0; id < count; id++) {
            int i = hashes[id] & mask;
            while (table[i] != 0) {
                i = (i + 1) & mask;
            }
            table[i] = (long) hashes[id] << 32 | (id + 1);
        }
    }

    private static int hash(long[] t, int off, int len) {
        long h = len;
        for (int k = 0; k < len; k++) {
            h = (h ^ t[off + k]) * 0x9E3779B97F4A7C15L;
            h ^= h >>> 32;
        }
        return (int) h;
    }
}
