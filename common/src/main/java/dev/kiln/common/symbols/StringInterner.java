package dev.kiln.common.symbols;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Interns UTF-8 byte slices to dense ids without decoding repeated strings: the common case on
 * ingest, where every profile of a service repeats the same function names. New strings are
 * decoded once. Id 0 is always the empty string. Not thread-safe.
 *
 * <p>This is the hottest lookup of ingest (every profile re-sends all its function names), so a
 * table slot carries what a probe needs, hash, id, arena offset and length, in one cache line: a
 * lookup touches the slot and the arena bytes it compares, nothing else.
 */
public final class StringInterner {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long M1 = 0x9E3779B97F4A7C15L;
    private static final long M2 = 0xC2B2AE3D27D4EB4FL;

    private byte[] arena = new byte[64 * 1024];
    private int arenaSize;
    private String[] strings = new String[1024];
    private int count;
    /**
     * Open addressing, two longs per slot: {@code hash << 32 | (id + 1)} (0 when the slot is empty)
     * and {@code offset << 32 | length} of the bytes in the arena.
     */
    private long[] table = new long[2 * 2048];
    private int mask = 2048 - 1;

    public StringInterner() {
        intern(new byte[0], 0, 0);
    }

    public int size() {
        return count;
    }

    /** The decoded strings; entries at index >= {@link #size()} are not published. */
    public String[] strings() {
        return strings;
    }

    public int intern(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return intern(b, 0, b.length, s);
    }

    public int intern(byte[] b, int off, int len) {
        return intern(b, off, len, null);
    }

    private int intern(byte[] b, int off, int len, String decoded) {
        int h = hash(b, off, len);
        long[] t = table;
        int i = h & mask;
        while (true) {
            long head = t[2 * i];
            if (head == 0) {
                return add(i, b, off, len, h, decoded);
            }
            if ((int) (head >>> 32) == h) {
                long where = t[2 * i + 1];
                int at = (int) (where >>> 32);
                if ((int) where == len && Arrays.equals(arena, at, at + len, b, off, off + len)) {
                    return (int) head - 1;
                }
            }
            i = (i + 1) & mask;
        }
    }

    public long sizeBytes() {
        return arena.length + strings.length * 8L + table.length * 8L + arenaSize; // strings ~ their bytes again
    }

    private int add(int slot, byte[] b, int off, int len, int h, String decoded) {
        if (arenaSize + len > arena.length) {
            arena = Arrays.copyOf(arena, Math.max(arena.length * 2, arenaSize + len));
        }
        System.arraycopy(b, off, arena, arenaSize, len);
        if (count == strings.length) {
            strings = Arrays.copyOf(strings, count * 2);
        }
        int id = count++;
        strings[id] = decoded != null ? decoded : new String(b, off, len, StandardCharsets.UTF_8);
        table[2 * slot] = (long) h << 32 | (id + 1);
        table[2 * slot + 1] = (long) arenaSize << 32 | len;
        arenaSize += len;
        if (count * 2 > mask + 1) {
            rehash();
        }
        return id;
    }

    private void rehash() {
        long[] old = table;
        table = new long[old.length * 2];
        mask = old.length - 1;
        for (int j = 0; j < old.length; j += 2) {
            if (old[j] != 0) {
                int i = (int) (old[j] >>> 32) & mask;
                while (table[2 * i] != 0) {
                    i = (i + 1) & mask;
                }
                table[2 * i] = old[j];
                table[2 * i + 1] = old[j + 1];
            }
        }
    }

    /**
     * Multiply-xorshift over 16 bytes at a time in two independent lanes (the multiplications
     * overlap), the last partial word read as an overlapping 8-byte load.
     */
    static int hash(byte[] b, int off, int len) {
        long h1 = len * M1;
        long h2 = ~len * M2;
        int i = off;
        int end = off + len;
        for (; i + 16 <= end; i += 16) {
            h1 = (h1 ^ (long) LONGS.get(b, i)) * M1;
            h1 ^= h1 >>> 32;
            h2 = (h2 ^ (long) LONGS.get(b, i + 8)) * M2;
            h2 ^= h2 >>> 29;
        }
        if (i + 8 <= end) {
            h1 = (h1 ^ (long) LONGS.get(b, i)) * M1;
            h1 ^= h1 >>> 32;
            i += 8;
        }
        if (i < end) {
            long tail;
            if (len >= 8) {
                tail = (long) LONGS.get(b, end - 8);
            } else {
                tail = 0;
                for (int shift = 0; i < end; i++, shift += 8) {
                    tail |= (b[i] & 0xffL) << shift;
                }
            }
            h2 = (h2 ^ tail) * M2;
            h2 ^= h2 >>> 29;
        }
        long h = (h1 ^ Long.rotateLeft(h2, 23)) * M1;
        return (int) (h ^ (h >>> 32));
    }
}
