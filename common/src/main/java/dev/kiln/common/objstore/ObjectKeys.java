package dev.kiln.common.objstore;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.Arrays;
import java.util.Comparator;

/** Validation of keys, prefixes and ranges, shared by every backend so they accept exactly the same keys. */
final class ObjectKeys {
    /** S3's limit; the filesystem backend has no reason to accept more. */
    static final int MAX_KEY_BYTES = 1024;

    /**
     * Name prefix of the filesystem backend's in-progress writes. Reserved in every backend so a key can
     * never be mistaken for (or hidden as) a temporary file, and so both backends accept the same keys.
     */
    static final String TEMP_FILE_PREFIX = ".kiln-tmp-";

    /** S3 lists keys in the order of their UTF-8 bytes; UTF-16 order differs for supplementary characters. */
    static final Comparator<String> UTF8_ORDER =
            (a, b) -> Arrays.compareUnsigned(a.getBytes(UTF_8), b.getBytes(UTF_8));

    private ObjectKeys() {
    }

    /** Returns {@code key} if it is a valid object key, otherwise throws {@link IllegalArgumentException}. */
    static String requireKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("invalid object key: must not be empty");
        }
        if (key.endsWith("/")) {
            throw invalid("object key", key, "must not end with '/'");
        }
        checkCommon("object key", key);
        String[] segments = key.split("/", -1);
        checkSegments("object key", key, segments, segments.length);
        return key;
    }

    /**
     * Returns {@code prefix} if it is a valid listing prefix: {@code ""}, or the start of a valid key. Its
     * last segment may be partial (so {@code "tenant/01H"} is allowed) or empty (a directory).
     */
    static String requirePrefix(String prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("invalid prefix: must not be null");
        }
        checkCommon("prefix", prefix);
        String[] segments = prefix.split("/", -1);
        checkSegments("prefix", prefix, segments, segments.length - 1);
        return prefix;
    }

    /**
     * Returns {@code directory} if it is {@code ""} (only when {@code allowRoot}) or a valid key followed by
     * {@code /}.
     */
    static String requireDirectory(String directory, boolean allowRoot) {
        if (directory == null) {
            throw new IllegalArgumentException("invalid directory prefix: must not be null");
        }
        if (directory.isEmpty()) {
            if (allowRoot) {
                return directory;
            }
            throw new IllegalArgumentException(
                    "invalid directory prefix: must not be empty (refusing to address the whole store)");
        }
        if (!directory.endsWith("/")) {
            throw invalid("directory prefix", directory, "must end with '/'");
        }
        checkCommon("directory prefix", directory);
        String[] segments = directory.split("/", -1);
        checkSegments("directory prefix", directory, segments, segments.length - 1);
        return directory;
    }

    /** Checks the arguments of a ranged read. */
    static void requireRange(long offset, int length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException(
                    "invalid range: offset " + offset + " and length " + length + " must not be negative");
        }
    }

    private static void checkCommon(String what, String value) {
        if (value.startsWith("/")) {
            throw invalid(what, value, "must be relative (no leading '/')");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw invalid(what, value, String.format("control character U+%04X at index %d", (int) c, i));
            }
        }
        if (value.getBytes(UTF_8).length > MAX_KEY_BYTES) {
            throw invalid(what, value, "longer than " + MAX_KEY_BYTES + " UTF-8 bytes");
        }
    }

    /** Checks the first {@code complete} segments, the ones that are known to be whole path components. */
    private static void checkSegments(String what, String value, String[] segments, int complete) {
        for (int i = 0; i < complete; i++) {
            String segment = segments[i];
            if (segment.isEmpty()) {
                throw invalid(what, value, "empty path segment");
            }
            if (segment.equals(".") || segment.equals("..")) {
                throw invalid(what, value, "'" + segment + "' path segment");
            }
            if (segment.startsWith(TEMP_FILE_PREFIX)) {
                throw invalid(what, value, "segment starts with the reserved '" + TEMP_FILE_PREFIX + "'");
            }
        }
    }

    private static IllegalArgumentException invalid(String what, String value, String problem) {
        return new IllegalArgumentException("invalid " + what + " \"" + printable(value) + "\": " + problem);
    }

    /** Escapes control characters so the message stays one readable log line. */
    private static String printable(String value) {
        StringBuilder out = new StringBuilder(value.length());
        value.chars().forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\u%04X", c));
            } else {
                out.append((char) c);
            }
        });
        return out.toString();
    }
}
