package dev.kiln.common.model;

import java.security.SecureRandom;

/**
 * ULIDs (26 characters of Crockford base32: 48-bit ms timestamp + 80 random bits): block ids that
 * sort by creation time, as Pyroscope's and Thanos' blocks use.
 */
public final class Ulid {
    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ulid() {}

    public static String generate() {
        return generate(System.currentTimeMillis());
    }

    public static String generate(long timeMs) {
        byte[] rnd = new byte[10];
        RANDOM.nextBytes(rnd);
        char[] out = new char[26];
        long t = timeMs;
        for (int i = 9; i >= 0; i--) {
            out[i] = ALPHABET[(int) (t & 31)];
            t >>>= 5;
        }
        // 80 random bits → 16 characters
        long hi = ((rnd[0] & 0xffL) << 32) | ((rnd[1] & 0xffL) << 24) | ((rnd[2] & 0xffL) << 16) | ((rnd[3] & 0xffL) << 8) | (rnd[4] & 0xffL);
        long lo = ((rnd[5] & 0xffL) << 32) | ((rnd[6] & 0xffL) << 24) | ((rnd[7] & 0xffL) << 16) | ((rnd[8] & 0xffL) << 8) | (rnd[9] & 0xffL);
        for (int i = 25; i >= 18; i--) {
            out[i] = ALPHABET[(int) (lo & 31)];
            lo >>>= 5;
        }
        for (int i = 17; i >= 10; i--) {
            out[i] = ALPHABET[(int) (hi & 31)];
            hi >>>= 5;
        }
        return new String(out);
    }

    /** The creation time encoded in a ULID, in ms. */
    public static long timeMs(String ulid) {
        if (!isValid(ulid)) {
            throw new IllegalArgumentException("not a ULID: " + ulid);
        }
        long t = 0;
        for (int i = 0; i < 10; i++) {
            t = (t << 5) | indexOf(ulid.charAt(i));
        }
        return t;
    }

    public static boolean isValid(String s) {
        if (s == null || s.length() != 26) {
            return false;
        }
        for (int i = 0; i < 26; i++) {
            if (indexOf(s.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(char c) {
        for (int i = 0; i < ALPHABET.length; i++) {
            if (ALPHABET[i] == c) {
                return i;
            }
        }
        return -1;
    }
}
