package dev.kiln.common.jfr;

import dev.kiln.common.InvalidInputException;

import java.nio.charset.StandardCharsets;
import java.util.function.LongFunction;

/**
 * Bounds-checked cursor over a region of a JFR recording.
 *
 * <p>JFR writes integers (short, char, int, long) either as varints (7 bits per byte, low bits
 * first, the ninth byte contributing all 8 bits) when the chunk header's "compressed integers"
 * flag is set — the JDK and async-profiler always set it — or as fixed-width big-endian values.
 * Bytes and booleans are one raw byte, floats and doubles raw big-endian in both modes. Every
 * read checks the current limit, so a truncated or lying recording ends in an
 * {@link InvalidInputException} naming the offset instead of an index error.
 */
final class JfrInput {
    static final byte STRING_NULL = 0;
    static final byte STRING_EMPTY = 1;
    static final byte STRING_CONSTANT_POOL = 2;
    static final byte STRING_UTF8 = 3;
    static final byte STRING_CHAR_ARRAY = 4;
    static final byte STRING_LATIN1 = 5;

    private final byte[] buf;
    private final boolean compressed;
    private int pos;
    private int limit;

    JfrInput(byte[] buf, int position, int limit, boolean compressed) {
        this.buf = buf;
        this.compressed = compressed;
        limit(limit);
        position(position);
    }

    int position() {
        return pos;
    }

    void position(int newPosition) {
        if (newPosition < 0 || newPosition > limit) {
            throw invalid("position " + newPosition + " is outside the readable region ending at " + limit);
        }
        pos = newPosition;
    }

    int limit() {
        return limit;
    }

    void limit(int newLimit) {
        if (newLimit < 0 || newLimit > buf.length) {
            throw invalid("region end " + newLimit + " is beyond the recording's " + buf.length + " bytes");
        }
        limit = newLimit;
    }

    int remaining() {
        return limit - pos;
    }

    byte readByte() {
        if (pos >= limit) {
            throw truncated(1);
        }
        return buf[pos++];
    }

    boolean readBoolean() {
        return readByte() != 0;
    }

    long readLong() {
        return compressed ? readVarLong() : readFixed(8);
    }

    int readInt() {
        return compressed ? (int) readVarLong() : (int) readFixed(4);
    }

    /** Reads a short or char: a varint when compressed, two bytes otherwise. */
    long readShort() {
        return compressed ? (short) readVarLong() : (short) readFixed(2);
    }

    void skipFloat() {
        skip(4);
    }

    void skipDouble() {
        skip(8);
    }

    void skip(int bytes) {
        if (bytes < 0 || bytes > limit - pos) {
            throw truncated(bytes);
        }
        pos += bytes;
    }

    /**
     * Reads an int-encoded element count and rejects counts that cannot fit in what is left of the region,
     * which bounds every allocation and loop by the input size.
     */
    int readCount(String what) {
        long count = readIntAsLong();
        if (count < 0 || count > remaining()) {
            throw invalid(what + " count " + count + " exceeds the " + remaining() + " bytes left");
        }
        return (int) count;
    }

    /** Reads an int-encoded size that must be non-negative. */
    int readSize(String what) {
        long size = readIntAsLong();
        if (size < 0 || size > Integer.MAX_VALUE) {
            throw invalid(what + " " + size + " is out of range");
        }
        return (int) size;
    }

    /** An int-typed value without truncation, so that range checks see what the producer wrote. */
    private long readIntAsLong() {
        return compressed ? readVarLong() : readFixed(4);
    }

    long readFixed(int bytes) {
        if (limit - pos < bytes) {
            throw truncated(bytes);
        }
        long value = 0;
        for (int i = 0; i < bytes; i++) {
            value = (value << 8) | (buf[pos++] & 0xFF);
        }
        return value;
    }

    private long readVarLong() {
        int p = pos;
        if (limit - p >= 9) {
            long result = 0;
            for (int shift = 0; shift < 56; shift += 7) {
                byte b = buf[p++];
                result |= (b & 0x7FL) << shift;
                if (b >= 0) {
                    pos = p;
                    return result;
                }
            }
            pos = p + 1;
            return result | (buf[p] & 0xFFL) << 56;
        }
        long result = 0;
        for (int shift = 0; shift < 56; shift += 7) {
            byte b = readByte();
            result |= (b & 0x7FL) << shift;
            if (b >= 0) {
                return result;
            }
        }
        return result | (readByte() & 0xFFL) << 56;
    }

    /** Skips a string value of any encoding, including a constant-pool reference. */
    void skipString() {
        byte encoding = readByte();
        switch (encoding) {
            case STRING_NULL, STRING_EMPTY -> { }
            case STRING_CONSTANT_POOL -> readLong();
            case STRING_UTF8, STRING_LATIN1 -> skip(readCount("string byte"));
            case STRING_CHAR_ARRAY -> {
                int chars = readCount("string char");
                for (int i = 0; i < chars; i++) {
                    readShort();
                }
            }
            default -> throw invalid("unknown string encoding " + encoding);
        }
    }

    /**
     * Reads a string value; a constant-pool reference is resolved through {@code constantPoolStrings}
     * (the chunk's {@code java.lang.String} pool). Returns {@code null} for the null encoding.
     */
    String readString(LongFunction<String> constantPoolStrings) {
        byte encoding = readByte();
        switch (encoding) {
            case STRING_NULL:
                return null;
            case STRING_EMPTY:
                return "";
            case STRING_CONSTANT_POOL:
                return constantPoolStrings.apply(readLong());
            case STRING_UTF8:
            case STRING_LATIN1: {
                int length = readCount("string byte");
                String s = new String(buf, pos, length,
                        encoding == STRING_UTF8 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
                pos += length;
                return s;
            }
            case STRING_CHAR_ARRAY: {
                int length = readCount("string char");
                char[] chars = new char[length];
                for (int i = 0; i < length; i++) {
                    chars[i] = (char) readShort();
                }
                return new String(chars);
            }
            default:
                throw invalid("unknown string encoding " + encoding);
        }
    }

    InvalidInputException invalid(String problem) {
        return new InvalidInputException("invalid JFR recording: " + problem + " (at byte " + pos + ")");
    }

    private InvalidInputException truncated(int wanted) {
        return new InvalidInputException("invalid JFR recording: truncated, needed " + wanted
                + " more bytes at byte " + pos + " but the region ends at " + limit);
    }
}
