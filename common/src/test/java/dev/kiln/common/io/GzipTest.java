package dev.kiln.common.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import dev.kiln.common.InvalidInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
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

    @Test
    void concatenatedMembersAndOptionalHeaderFieldsAreRead() throws IOException {
        byte[] first = gzip("first member, ".getBytes(), 2);
        // A member with FEXTRA, FNAME, FCOMMENT and FHCRC, whose deflate data is taken from a plain member.
        byte[] plain = gzip("second".getBytes(), 1);
        ByteArrayOutputStream second = new ByteArrayOutputStream();
        second.write(new byte[] {0x1f, (byte) 0x8b, 8, 2 | 4 | 8 | 16, 0, 0, 0, 0, 0, (byte) 255});
        second.write(new byte[] {3, 0, 'x', 'y', 'z'});
        second.write("name.pprof\0a comment\0".getBytes());
        second.write(new byte[] {0, 0});
        second.write(plain, 10, plain.length - 10);
        byte[] both = java.util.Arrays.copyOf(first, first.length + second.size());
        System.arraycopy(second.toByteArray(), 0, both, first.length, second.size());
        assertEquals("first member, first member, second", new String(Gzip.maybeDecompress(both, 1 << 20, "profile", "limit")));
    }

    @Test
    void corruptOrTruncatedDataIsAClientError() throws IOException {
        byte[] gz = gzip("some profile bytes, some profile bytes".getBytes(), 10);
        byte[] badCrc = gz.clone();
        badCrc[badCrc.length - 6] ^= 1;
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Gzip.maybeDecompress(badCrc, 1 << 20, "profile", "limit"));
        assertTrue(e.getMessage().contains("CRC"), e.getMessage());
        for (int cut : new int[] {5, 12, gz.length / 2, gz.length - 4}) {
            byte[] truncated = java.util.Arrays.copyOf(gz, cut);
            e = assertThrows(InvalidInputException.class, () -> Gzip.maybeDecompress(truncated, 1 << 20, "profile", "limit"), "cut at " + cut);
            assertTrue(e.getMessage().startsWith("invalid gzip profile"), e.getMessage());
        }
    }

    @Test
    void outputExactlyAtTheLimitIsAcceptedAndOneByteMoreIsNot() throws IOException {
        byte[] gz = gzip(new byte[1000], 10);
        assertEquals(10_000, Gzip.maybeDecompress(gz, 10_000, "profile", "limit").length);
        assertThrows(Gzip.TooLargeException.class, () -> Gzip.maybeDecompress(gz, 9_999, "profile", "limit"));
    }

    /** CI installs Debian's libdeflate0, so the fast path is what the rest of the suite exercises. */
    @Test
    void libdeflateIsBoundOnJdk22AndNewerWhereInstalled() throws IOException {
        assumeTrue(Runtime.version().feature() >= 22, "the FFM binding needs JDK 22+");
        assumeTrue(libdeflateInstalled(), "libdeflate.so.0 is not installed (apt install libdeflate0); Kiln uses the JDK's zlib");
        assertTrue(Libdeflate.available(), "libdeflate.so.0 is installed but did not bind; the log line 'gzip decompression' says why");
    }

    /** Whether the system's library directories (or their multiarch subdirectories) hold libdeflate.so.0. */
    private static boolean libdeflateInstalled() throws IOException {
        for (String dir : new String[] {"/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/local/lib"}) {
            Path d = Path.of(dir);
            if (Files.exists(d.resolve("libdeflate.so.0"))) {
                return true;
            }
            if (Files.isDirectory(d)) {
                try (Stream<Path> subdirs = Files.list(d)) {
                    if (subdirs.anyMatch(sub -> Files.exists(sub.resolve("libdeflate.so.0")))) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /**
     * Whatever the input, the native fast path and the JDK's inflater agree: the same bytes, or
     * the same error. Inputs: payloads of many sizes and compressibilities, each also with one
     * byte changed (header, deflate data, CRC, length) or cut short.
     */
    @Test
    void nativeAndJdkInflatersAgreeOnValidAndDamagedInput() throws IOException {
        Random random = new Random(8);
        int compared = 0;
        for (int size : new int[] {1, 7, 100, 4_096, 65_537, 400_000}) {
            byte[] data = new byte[size];
            for (int i = 0; i < size; i++) {
                data[i] = (byte) (random.nextInt(4) == 0 ? random.nextInt(256) : 'a' + i % 7); // profile-like: mostly repetitive
            }
            byte[] gz = gzip(data, 1);
            assertArrayEquals(data, Gzip.decompress(gz, 0, gz.length, 1 << 20, "profile", "limit"));
            for (int k = 0; k < 40; k++) {
                byte[] damaged = gz.clone();
                int at = k < 8 ? damaged.length - 1 - k : random.nextInt(damaged.length); // the trailer first, then anywhere
                damaged[at] ^= (byte) (1 + random.nextInt(255));
                assertSameOutcome(damaged, 0, damaged.length);
                assertSameOutcome(gz, 0, random.nextInt(gz.length));
                compared += 2;
            }
        }
        // a payload inside a larger array, as a request body slice arrives
        byte[] gz = gzip("offset payload".getBytes(), 50);
        byte[] framed = new byte[gz.length + 9];
        System.arraycopy(gz, 0, framed, 5, gz.length);
        assertArrayEquals(Gzip.decompressWithJdk(gz, 0, gz.length, 1 << 20, "profile", "limit"), Gzip.decompress(framed, 5, gz.length, 1 << 20, "profile", "limit"));
        assertTrue(compared > 400);
    }

    @Test
    void aTrailerThatUnderstatesTheSizeStillHitsTheLimit() throws IOException {
        byte[] gz = gzip(new byte[1 << 20], 4); // 4 MiB of zeros
        gz[gz.length - 2] = 0; // ISIZE now claims 0 bytes + the low 16 bits (0): the native path gets a tiny buffer
        gz[gz.length - 1] = 0;
        gz[gz.length - 4] = 16;
        Gzip.TooLargeException e = assertThrows(Gzip.TooLargeException.class, () -> Gzip.maybeDecompress(gz, 1 << 20, "profile", "limits.max_profile_size_bytes"));
        assertTrue(e.getMessage().contains("limits.max_profile_size_bytes"), e.getMessage());
    }

    private static void assertSameOutcome(byte[] data, int off, int len) {
        byte[] expected;
        try {
            expected = Gzip.decompressWithJdk(data, off, len, 1 << 20, "profile", "limit");
        } catch (InvalidInputException e) {
            InvalidInputException actual = assertThrows(InvalidInputException.class, () -> Gzip.decompress(data, off, len, 1 << 20, "profile", "limit"));
            assertEquals(e.getMessage(), actual.getMessage());
            return;
        }
        assertArrayEquals(expected, Gzip.decompress(data, off, len, 1 << 20, "profile", "limit"), () -> "input " + Arrays.toString(Arrays.copyOf(data, 12)));
    }
}
