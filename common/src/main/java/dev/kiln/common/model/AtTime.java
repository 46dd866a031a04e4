package dev.kiln.common.model;

import dev.kiln.common.InvalidInputException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Pyroscope's {@code from}/{@code until} syntax: all digits is unix time whose unit follows from
 * the digit count (13 ms, 16 µs, 19 ns, otherwise seconds; 8 digits is YYYYMMDD), or
 * {@code now} / {@code now-1h} with units s, m/min, h, d, w, M/mon, y.
 */
public final class AtTime {
    private AtTime() {}

    /** Parses to nanoseconds since epoch; an empty value is {@code nowNanos}. */
    public static long parseNanos(String param, String value, long nowNanos) {
        if (value == null || value.isBlank()) {
            return nowNanos;
        }
        String v = value.trim();
        if (v.chars().allMatch(Character::isDigit)) {
            try {
                long n = Long.parseLong(v);
                return switch (v.length()) {
                    case 8 -> LocalDate.parse(v, DateTimeFormatter.BASIC_ISO_DATE).atStartOfDay(ZoneOffset.UTC).toEpochSecond() * 1_000_000_000L;
                    case 13 -> n * 1_000_000L;
                    case 16 -> n * 1_000L;
                    case 19 -> n;
                    default -> Math.multiplyExact(n, 1_000_000_000L);
                };
            } catch (RuntimeException e) {
                throw invalid(param, value);
            }
        }
        if (!v.startsWith("now")) {
            throw invalid(param, value);
        }
        String rest = v.substring(3);
        if (rest.isEmpty()) {
            return nowNanos;
        }
        char sign = rest.charAt(0);
        if (sign != '-' && sign != '+') {
            throw invalid(param, value);
        }
        int i = 1;
        while (i < rest.length() && Character.isDigit(rest.charAt(i))) {
            i++;
        }
        if (i == 1) {
            throw invalid(param, value);
        }
        long n;
        try {
            n = Long.parseLong(rest.substring(1, i));
        } catch (NumberFormatException e) {
            throw invalid(param, value);
        }
        long unitSeconds = switch (rest.substring(i)) {
            case "s" -> 1;
            case "m", "min" -> 60;
            case "h" -> 3600;
            case "d" -> 86_400;
            case "w" -> 7 * 86_400;
            case "M", "mon" -> 30 * 86_400;
            case "y" -> 365 * 86_400;
            default -> throw invalid(param, value);
        };
        long delta = n * unitSeconds * 1_000_000_000L;
        return sign == '-' ? nowNanos - delta : nowNanos + delta;
    }

    private static InvalidInputException invalid(String param, String value) {
        return new InvalidInputException("invalid " + param + " '" + value + "': expected unix time (s, ms, µs or ns), YYYYMMDD, or now[-<n><unit>]");
    }
}
