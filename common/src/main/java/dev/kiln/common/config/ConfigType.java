package dev.kiln.common.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Value types of configuration keys, with parsing from flags (strings) and YAML nodes. */
public enum ConfigType {
    STRING, INT, LONG, DOUBLE, BOOLEAN, DURATION, STRING_LIST,
    /** A structured value (map or list), bound by the consumer with Jackson. */
    OBJECT;

    /** Parses a flag value. */
    public Object parse(String key, String text) {
        String t = text.trim();
        try {
            return switch (this) {
                case STRING -> text;
                case INT -> Integer.parseInt(t);
                case LONG -> parseLong(t);
                case DOUBLE -> Double.parseDouble(t);
                case BOOLEAN -> parseBoolean(key, t);
                case DURATION -> parseDuration(t);
                case STRING_LIST -> splitList(t);
                case OBJECT -> throw new ConfigException(key + ": structured values can only be set in the YAML file");
            };
        } catch (NumberFormatException e) {
            throw new ConfigException(key + ": invalid " + name().toLowerCase(Locale.ROOT) + " value '" + text + "'");
        }
    }

    /** Converts a YAML node. */
    public Object fromNode(String key, JsonNode node) {
        if (this == OBJECT) {
            return node;
        }
        if (this == STRING_LIST && node.isArray()) {
            List<String> out = new ArrayList<>();
            node.forEach(n -> out.add(n.asText()));
            return List.copyOf(out);
        }
        if (!node.isValueNode()) {
            throw new ConfigException(key + ": expected a " + name().toLowerCase(Locale.ROOT) + " value, found a " + node.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        if (node.isNull()) {
            throw new ConfigException(key + ": value must not be null");
        }
        return parse(key, node.asText());
    }

    private static long parseLong(String t) {
        // Byte sizes are often written with a unit, as in Pyroscope's examples.
        String lower = t.toLowerCase(Locale.ROOT);
        long mul = 1;
        for (String[] u : new String[][] {{"kib", "1024"}, {"mib", "1048576"}, {"gib", "1073741824"}, {"kb", "1000"}, {"mb", "1000000"}, {"gb", "1000000000"}}) {
            if (lower.endsWith(u[0])) {
                mul = Long.parseLong(u[1]);
                lower = lower.substring(0, lower.length() - u[0].length()).trim();
                break;
            }
        }
        return Math.multiplyExact(Long.parseLong(lower), mul);
    }

    private static boolean parseBoolean(String key, String t) {
        return switch (t.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new ConfigException(key + ": invalid boolean value '" + t + "'");
        };
    }

    private static List<String> splitList(String t) {
        List<String> out = new ArrayList<>();
        for (String s : t.split(",")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return List.copyOf(out);
    }

    /** Go-style durations: "500ms", "15s", "1h30m", "7d" (days as a convenience), or plain seconds. */
    public static Duration parseDuration(String t) {
        if (t.isEmpty()) {
            throw new NumberFormatException("empty duration");
        }
        if (t.chars().allMatch(Character::isDigit)) {
            return Duration.ofSeconds(Long.parseLong(t));
        }
        Duration d = Duration.ZERO;
        int i = 0;
        while (i < t.length()) {
            int start = i;
            while (i < t.length() && (Character.isDigit(t.charAt(i)) || t.charAt(i) == '.')) {
                i++;
            }
            if (start == i) {
                throw new NumberFormatException("invalid duration " + t);
            }
            double n = Double.parseDouble(t.substring(start, i));
            int us = i;
            while (i < t.length() && Character.isLetter(t.charAt(i))) {
                i++;
            }
            String unit = t.substring(us, i);
            long nanos = switch (unit) {
                case "ns" -> 1L;
                case "us", "µs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "h" -> 3_600_000_000_000L;
                case "d" -> 86_400_000_000_000L;
                case "w" -> 604_800_000_000_000L;
                default -> throw new NumberFormatException("unknown duration unit '" + unit + "' in " + t);
            };
            d = d.plusNanos((long) (n * nanos));
        }
        return d;
    }

    /** Renders a value back in the form the parser accepts (for the effective-config page and docs). */
    public static String format(Object v) {
        if (v instanceof Duration d) {
            return formatDuration(d);
        }
        if (v instanceof List<?> l) {
            return String.join(",", l.stream().map(String::valueOf).toList());
        }
        return String.valueOf(v);
    }

    public static String formatDuration(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0s";
        }
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
