package dev.kiln.common.query;

import dev.kiln.common.InvalidInputException;

/**
 * Span ids as pprof sample labels carry them: 16 hex characters, stored as a 64-bit number.
 * 0 means "no span".
 */
public final class SpanIds {
    private SpanIds() {}

    public static long parse(String hex) {
        long v = tryParse(hex);
        if (v == 0 && !isZero(hex)) {
            throw new InvalidInputException("invalid span id '" + hex + "': expected 16 hexadecimal characters");
        }
        return v;
    }

    /** Parses a span id label value; anything that is not 1..16 hex digits yields 0 (no span). */
    public static long tryParse(String hex) {
        if (hex == null || hex.isEmpty() || hex.length() > 16) {
            return 0;
        }
        long v = 0;
        for (int i = 0; i < hex.length(); i++) {
            int d = Character.digit(hex.charAt(i), 16);
            if (d < 0) {
                return 0;
            }
            v = (v << 4) | d;
        }
        return v;
    }

    private static boolean isZero(String hex) {
        return hex != null && !hex.isEmpty() && hex.length() <= 16 && hex.chars().allMatch(c -> c == '0');
    }

    public static String format(long id) {
        String s = Long.toHexString(id);
        return "0".repeat(16 - s.length()) + s;
    }
}
