package dev.kiln.common.symbols;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Interns UTF-8 byte slices to dense ids without decoding repeated strings: the common case on
 * ingest, where every profile of a service repeats the same function names. New strings are
 * decoded once. Id 0 is always the empty string. Not thread-safe.
 */
public final class StringInterner {
    private byte[] arena = new byte[64 * 1024];
    private int arenaSize;
    private int[] offsets = new int[1024];
    private int[] lengths = new int[1024];
    private int[] hashes = new int[1024];
    private String[] strings = new String[1024];
    private int count;
    private int[] table = new int[2048];
    private int mask = table.length - 1;

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
        int i = h & mask;
        while (true) {
            int slot = table[i];
            if (slot == 0) {
                int id = add(b, off, len, h, decoded);
                table[i] = id + 1;
                if ((count << 1) > table.length) {
                    rehash();
                }
                return id;
            }
            int id = slot - 1;
            if (hashes[id] == h && lengths[id] == len
                    && Arrays.equals(arena, offsets[id], offsets[id] + len, b, off, off + len)) {
                return id;
            }
            i = (i + 1) & mask;
        }
    }

    public long sizeBytes() {
        return arena.length + offsets.length * 16L + table.length * 4L + arenaSize; // strings ~ their bytes again
    }

    private int add(byte[] b, int off, int len, int h, String decoded) {
        if (arenaSize + len > arena.length) {
            arena = Arrays.copyOf(arena, Math.max(arena.length * 2, arenaSize + len));
        }
        System.arraycopy(b, off, arena, arenaSize, len);
        if (count == offsets.length) {
            int n = count * 2;
            offsets = Arrays.copyOf(offsets, n);
            lengths = Arrays.copyOf(lengths, n);
            hashes = Arrays.copyOf(hashes, n);
            strings = Arrays.copyOf(strings, n);
        }
        offsets[count] = arenaSize;
        lengths[count] = len;
        hashes[count] = h;
        strings[count] = decoded != null ? decoded : new String(b, off, len, StandardCharsets.UTF_8);
        arenaSize += len;
        return count++;
    }

    private void rehash() {
        table = new int[table.length * 2];
        mask = table.length - 1;
        for (int id = 0; id < count; id++) {
            int i = hashes[id] & mask;
            while (table[i] != 0) {
                i = (i + 1) & mask;
            }
            table[i] = id + 1;
        }
    }

    private static int hash(byte[] b, int off, int len) {
        int h = 0x811c9dc5;
        int end = off + len;
        int i = off;
        // 4 bytes at a time: function names are long, and this is the hottest loop of ingest.
        for (; i + 4 <= end; i += 4) {
            int k = (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24;
            h = (h ^ k) * 0x01000193;
            h ^= h >>> 15;
        }
        for (; i < end; i++) {
            h = (h ^ (b[i] & 0xff)) * 0x01000193;
        }
        return h ^ (h >>> 16);
    }
}
