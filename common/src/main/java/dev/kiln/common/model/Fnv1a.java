package dev.kiln.common.model;

import java.nio.charset.StandardCharsets;

/**
 * 64-bit FNV-1a, the hash behind identities that are stored or exchanged between processes (series
 * fingerprints, profile id hashes): trivially re-implementable and stable across versions.
 */
public final class Fnv1a {
    /** The hash of nothing; start every hash here. */
    public static final long OFFSET = 0xcbf29ce484222325L;
    private static final long PRIME = 0x100000001b3L;

    private Fnv1a() {}

    /** Adds one byte (the low 8 bits of {@code b}). */
    public static long addByte(long h, int b) {
        return (h ^ (b & 0xff)) * PRIME;
    }

    /** Adds the UTF-8 encoding of {@code s}, without allocating when it is ASCII (the usual case). */
    public static long addString(long h, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                for (byte b : s.substring(i).getBytes(StandardCharsets.UTF_8)) {
                    h = addByte(h, b);
                }
                return h;
            }
            h = addByte(h, c);
        }
        return h;
    }

    /** The hash of the UTF-8 encoding of {@code s}. */
    public static long hash(String s) {
        return addString(OFFSET, s);
    }
}
