package dev.kiln.common.io;

import dev.kiln.common.InvalidInputException;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** Gzip detection by magic bytes and decompression bounded by a size limit (gzip-bomb safe). */
public final class Gzip {
    private Gzip() {}

    public static boolean isGzip(byte[] b, int off, int len) {
        return len >= 2 && (b[off] & 0xff) == 0x1f && (b[off + 1] & 0xff) == 0x8b;
    }

    public static boolean isGzip(byte[] b) {
        return isGzip(b, 0, b.length);
    }

    /**
     * Returns {@code data} itself when it is not gzip, else its decompressed content. Stops as soon
     * as the output would exceed {@code maxBytes}, so memory stays bounded whatever the input claims.
     *
     * @param what names the payload in error messages, e.g. "profile"
     * @param limitKey the config key of the limit, named in the error so operators know what to raise
     */
    /**
     * The size {@code data} will have once decompressed, without decompressing: gzip's trailer
     * stores it (modulo 2^32, and only for the last member), so this is an estimate good enough
     * for rate limiting; the decoders enforce the real size.
     */
    public static long decompressedSizeHint(com.google.protobuf.ByteString data) {
        int n = data.size();
        if (n < 18 || (data.byteAt(0) & 0xFF) != 0x1f || (data.byteAt(1) & 0xFF) != 0x8b) {
            return n;
        }
        return (data.byteAt(n - 4) & 0xFFL) | (data.byteAt(n - 3) & 0xFFL) << 8
                | (data.byteAt(n - 2) & 0xFFL) << 16 | (data.byteAt(n - 1) & 0xFFL) << 24;
    }

    public static byte[] maybeDecompress(byte[] data, long maxBytes, String what, String limitKey) {
        if (!isGzip(data)) {
            if (data.length > maxBytes) {
                throw tooLarge(what, maxBytes, limitKey);
            }
            return data;
        }
        return decompress(data, 0, data.length, maxBytes, what, limitKey);
    }

    public static byte[] decompress(byte[] data, int off, int len, long maxBytes, String what, String limitKey) {
        // ISIZE (last 4 bytes) is the uncompressed size mod 2^32 of the last member: a hint only.
        int hint = len >= 18 ? (data[off + len - 4] & 0xff) | (data[off + len - 3] & 0xff) << 8
                | (data[off + len - 2] & 0xff) << 16 | (data[off + len - 1] & 0xff) << 24 : 0;
        long cap = Math.min(maxBytes, Integer.MAX_VALUE - 16);
        int initial = (int) Math.max(1024, Math.min(cap + 1, hint > 0 ? (long) hint + 1 : (long) len * 4));
        byte[] out = new byte[initial];
        int n = 0;
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(data, off, len), 64 * 1024)) {
            while (true) {
                if (n == out.length) {
                    if (n > cap) {
                        throw tooLarge(what, maxBytes, limitKey);
                    }
                    out = Arrays.copyOf(out, (int) Math.min(cap + 1, Math.max((long) n * 2, 1024)));
                }
                int r = in.read(out, n, out.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
                if (n > cap) {
                    throw tooLarge(what, maxBytes, limitKey);
                }
            }
        } catch (EOFException e) {
            throw new InvalidInputException("invalid gzip " + what + ": unexpected end of compressed data");
        } catch (ZipException e) {
            throw new InvalidInputException("invalid gzip " + what + ": " + e.getMessage());
        } catch (IOException e) {
            throw new InvalidInputException("cannot decompress gzip " + what + ": " + e.getMessage());
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    private static InvalidInputException tooLarge(String what, long maxBytes, String limitKey) {
        return new TooLargeException(what + " exceeds the size limit of " + maxBytes
                + " bytes after decompression (" + limitKey + ")");
    }

    /** Input over its size limit, so HTTP endpoints that must can answer 413 rather than 400. */
    public static final class TooLargeException extends InvalidInputException {
        TooLargeException(String message) {
            super(message);
        }
    }
}
