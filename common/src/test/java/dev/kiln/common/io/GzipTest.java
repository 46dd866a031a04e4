package dev.kiln.common.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kiln.common.InvalidInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class GzipTest {
    static byte[] gzip(byte[] data, long repeat) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 1 << 16) {
            {
                def.setLevel(java.util.zip.Deflater.BEST_SPEED); // a GiB of zeros in about a second
            }
        }) {
            for (long i = 0; i < repeat; i++) {
                gz.write(data);
            }
        }
        return out.toByteArray();
    }

    @Test
    void aOneGibibyteBombIsRejectedWithBoundedMemory() throws IOException {
        byte[] bomb = gzip(new byte[1 << 20], 1024); // 1 GiB of zeros, about 1 MB compressed
        assertTrue(bomb.length < 8 << 20, "bomb is " + bomb.length + " bytes");
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> Gzip.maybeDecompress(bomb, 4 << 20, "profile", "limits.max_profile_size_bytes"));
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(e.getMessage().contains("limits.max_profile_size_bytes"), e.getMessage());
        assertTrue(allocated < 64L << 20, "decompressing the bomb allocated " + allocated + " bytes");
    }

    @Test
    void roundTripAndSizeHint() throws IOException {
        byte[] data = "hello hello hello".getBytes();
        byte[] gz = gzip(data, 3);
        byte[] expected = new byte[data.length * 3];
        for (int i = 0; i < 3; i++) {
            System.arraycopy(data, 0, expected, i * data.length, data.length);
        }
        assertArrayEquals(expected, Gzip.maybeDecompress(gz, 1 << 20, "profile", "limit"));
        assertEquals(expected.length, Gzip.decompressedSizeHint(ByteString.copyFrom(gz)));
        assertEquals(5, Gzip.decompressedSizeHint(ByteString.copyFromUtf8("plain")));
        assertArrayEquals(data, Gzip.maybeDecompress(data, 1 << 20, "profile", "limit"), "non-gzip input passes through");
    }

    @Test
    void garbageAfterTheMagicIsAClientError() {
        byte[] garbage = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3};
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Gzip.maybeDecompress(garbage, 1 << 20, "profile", "limit"));
        assertTrue(e.getMessage().contains("gzip"), e.getMessage());
    }
}
