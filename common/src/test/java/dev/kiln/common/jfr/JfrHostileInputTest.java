package dev.kiln.common.jfr;

import dev.kiln.common.InvalidInputException;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Truncated, corrupted, random and deliberately inconsistent recordings must end in an
 * {@link InvalidInputException} naming the problem (or, for corruption that happens to stay
 * consistent, in a normal result) — never another exception, an endless loop or a huge allocation.
 */
class JfrHostileInputTest {
    private static final long START = 1_700_000_000_000_000_000L;

    @ParameterizedTest(name = "compressed integers: {0}")
    @ValueSource(booleans = {true, false})
    void everyTruncationOfASyntheticRecordingIsRejected(boolean compressed) {
        byte[] chunk = new SyntheticJfr(compressed).standardChunk(START, "20 ms");
        for (int length = 0; length < chunk.length; length++) {
            byte[] prefix = Arrays.copyOf(chunk, length);
            assertRejected(prefix, "prefix of " + length);
            if (length >= ChunkHeader.SIZE) {
                // Claim the truncated length and drop the constant pool offset, so that parsing gets
                // as far as the cut-off metadata or events instead of stopping at the header.
                ByteBuffer.wrap(prefix).putLong(8, length).putLong(16, 0);
                assertRejectedOrConverted(prefix, "resized prefix of " + length);
            }
        }
    }

    @Test
    void everyTruncationOfAJdkRecordingIsRejected() throws Exception {
        byte[] jfr = smallJdkRecording();
        for (int length = 0; length < jfr.length; length++) {
            assertRejected(Arrays.copyOf(jfr, length), "prefix of " + length);
        }
    }

    @Test
    void corruptedJdkRecordingsAreRejectedOrConverted() throws Exception {
        byte[] jfr = smallJdkRecording();
        Random random = new Random(42);
        for (int round = 0; round < 1000; round++) {
            byte[] corrupted = jfr.clone();
            int flips = 1 + random.nextInt(4);
            for (int i = 0; i < flips; i++) {
                int at = ChunkHeader.SIZE + random.nextInt(corrupted.length - ChunkHeader.SIZE);
                corrupted[at] = (byte) random.nextInt(256);
            }
            assertRejectedOrConverted(corrupted, "round " + round);
        }
    }

    @ParameterizedTest(name = "compressed integers: {0}")
    @ValueSource(booleans = {true, false})
    void everySingleByteCorruptionOfASyntheticRecordingIsSafe(boolean compressed) {
        byte[] chunk = new SyntheticJfr(compressed).standardChunk(START, "20 ms");
        for (int at = 0; at < chunk.length; at++) {
            for (int value : new int[] {0x00, 0x7F, 0x80, 0xFF, 0x01}) {
                byte[] corrupted = chunk.clone();
                corrupted[at] = (byte) value;
                assertRejectedOrConverted(corrupted, "byte " + at + " = " + value);
            }
        }
    }

    @Test
    void randomBytesAreRejected() {
        Random random = new Random(7);
        for (int round = 0; round < 2000; round++) {
            byte[] garbage = new byte[random.nextInt(4096)];
            random.nextBytes(garbage);
            if (round % 2 == 0 && garbage.length > ChunkHeader.SIZE) {
                // A valid-looking header in front of garbage gets the parser past the first checks.
                ByteBuffer.wrap(garbage).putInt(0, 0x464C5200).putShort(4, (short) 2).putLong(8, garbage.length)
                        .putLong(16, ChunkHeader.SIZE + random.nextInt(garbage.length - ChunkHeader.SIZE))
                        .putLong(24, ChunkHeader.SIZE).putLong(56, 1_000_000_000L);
                assertRejectedOrConverted(garbage, "round " + round);
            } else {
                assertRejected(garbage, "round " + round);
            }
        }
    }

    @Test
    void namesTheProblemInStructurallyBrokenRecordings() {
        SyntheticJfr jfr = new SyntheticJfr(false);
        byte[] metadata = jfr.metadata(SyntheticJfr.standardTypes());
        List<byte[]> samples = List.of(jfr.executionSample(7, 0));

        assertMessage(new byte[] {1, 2, 3}, "truncated chunk header");
        byte[] badMagic = jfr.standardChunk(START, "20 ms");
        badMagic[0] = 'X';
        assertMessage(badMagic, "missing chunk magic");
        byte[] version = jfr.standardChunk(START, "20 ms");
        version[5] = 9;
        assertMessage(version, "unsupported JFR format version 9");
        byte[] hugeChunk = jfr.standardChunk(START, "20 ms");
        ByteBuffer.wrap(hugeChunk).putLong(8, Long.MAX_VALUE);
        assertMessage(hugeChunk, "truncated recording");

        byte[] hugePool = jfr.chunk(START, metadata, samples,
                jfr.event(1, jfr.checkpointHeader(0, 1).integer(SyntheticJfr.SYMBOL).int32(Integer.MAX_VALUE)));
        assertMessage(hugePool, "constant pool entry count 2147483647 exceeds");

        byte[] hugeFrames = jfr.chunk(START, metadata, samples, jfr.event(1, jfr.checkpointHeader(0, 1)
                .integer(SyntheticJfr.STACK_TRACE).int32(1).integer(7).raw(0).int32(1_000_000_000)));
        assertMessage(hugeFrames, "stack frame count 1000000000 exceeds");

        List<SyntheticJfr.ClassDef> selfContaining = new ArrayList<>(SyntheticJfr.standardTypes());
        selfContaining.add(new SyntheticJfr.ClassDef(40, "vendor.Node",
                List.of(new SyntheticJfr.FieldDef("children", 40, false, true))));
        assertMessage(jfr.chunk(START, jfr.metadata(selfContaining), samples, jfr.standardCheckpoint()),
                "type vendor.Node contains itself inline");

        List<SyntheticJfr.ClassDef> dangling = new ArrayList<>(SyntheticJfr.standardTypes());
        dangling.add(new SyntheticJfr.ClassDef(41, "vendor.Broken", List.of(SyntheticJfr.FieldDef.of("x", 999))));
        assertMessage(jfr.chunk(START, jfr.metadata(dangling), samples, jfr.standardCheckpoint()),
                "field vendor.Broken.x has undeclared type id 999");

        assertMessage(jfr.chunk(START, metadata, List.of(new byte[] {0, 0, 0, 0}), jfr.standardCheckpoint()),
                "event size 0 does not fit");
        assertMessage(cyclicCheckpoints(jfr, metadata), "constant pool checkpoints form a cycle");
    }

    /** Two checkpoints whose deltas point at each other. */
    private static byte[] cyclicCheckpoints(SyntheticJfr jfr, byte[] metadata) {
        int checkpointSize = jfr.event(1, jfr.checkpointHeader(0, 0)).length;
        byte[] first = jfr.event(1, jfr.checkpointHeader(checkpointSize, 0));
        byte[] second = jfr.event(1, jfr.checkpointHeader(-checkpointSize, 0));
        byte[] chunk = jfr.chunk(START, metadata, List.of(first), second);
        long secondOffset = ByteBuffer.wrap(chunk).getLong(16);
        ByteBuffer.wrap(chunk).putLong(16, secondOffset - checkpointSize);
        return chunk;
    }

    private static byte[] smallJdkRecording() throws Exception {
        try (Recording recording = new Recording()) {
            recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(1));
            recording.enable("jdk.ThreadPark").withThreshold(Duration.ZERO);
            recording.start();
            long end = System.nanoTime() + 200_000_000L;
            long x = 0;
            while (System.nanoTime() < end) {
                x += Long.numberOfTrailingZeros(x + System.nanoTime());
                java.util.concurrent.locks.LockSupport.parkNanos(100_000);
            }
            recording.stop();
            try (InputStream in = recording.getStream(null, null)) {
                byte[] jfr = in.readAllBytes();
                assertTrue(x >= 0 && !JfrConverter.convert(jfr, null).isEmpty());
                return jfr;
            }
        }
    }

    private static void assertRejected(byte[] recording, String what) {
        assertThrows(InvalidInputException.class, () -> JfrConverter.convert(recording, null), what);
    }

    private static void assertRejectedOrConverted(byte[] recording, String what) {
        try {
            for (JfrProfile profile : JfrConverter.convert(recording, null)) {
                profile.profile().getSampleList().forEach(s -> s.getValueList().forEach(v -> assertTrue(v >= 0, what)));
            }
        } catch (InvalidInputException expected) {
            assertTrue(expected.getMessage().startsWith("invalid JFR recording: "), expected.getMessage());
        } catch (RuntimeException | Error e) {
            fail(what + ": " + e, e);
        }
    }

    private static void assertMessage(byte[] recording, String expected) {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> JfrConverter.convert(recording, null));
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should contain '" + expected + "'");
    }
}
