package dev.kiln.common.pprof;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.InvalidInputException;
import dev.kiln.common.io.Gzip;
import dev.kiln.common.testing.PprofBuilder;
import dev.kiln.proto.pprof.Profile;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PprofDecoderTest {
    @Test
    void decodesEveryField() {
        PprofBuilder b = PprofBuilder.cpu().timeNanos(1_700_000_000_000_000_000L).durationNanos(10_000_000_000L);
        b.labels("span_id", "00000000000000ab").stack(30, "main", "work", "hot");
        b.stack(10, "main", "idle");
        Profile p = b.build();
        PprofData d = new PprofDecoder().decode(p.toByteArray(), 0, p.getSerializedSize(), new PprofData());
        assertEquals(p.getStringTableCount(), d.stringCount);
        assertEquals("", d.string(0));
        assertEquals("cpu", d.string(d.sampleTypeType[0]));
        assertEquals("nanoseconds", d.string(d.sampleTypeUnit[0]));
        assertEquals("cpu", d.string(d.periodTypeType));
        assertEquals(10_000_000, d.period);
        assertEquals(1_700_000_000_000_000_000L, d.timeNanos);
        assertEquals(10_000_000_000L, d.durationNanos);
        assertEquals(2, d.sampleCount);
        assertEquals(3, d.sampleLocCount[0]);
        assertEquals(30, d.value(0, 0));
        assertEquals(10, d.value(1, 0));
        assertEquals(1, d.sampleLabelCount[0]);
        assertEquals("span_id", d.string(d.labelKey[d.sampleLabelStart[0]]));
        assertTrue(d.stringEquals(d.labelKey[d.sampleLabelStart[0]], "span_id"));
        assertEquals(p.getLocationCount(), d.locationCount);
        assertEquals(p.getFunctionCount(), d.functionCount);
        assertEquals("hot", d.string(d.fnName[0])); // the builder interns leaf first
        // leaf first, as in pprof
        long[] locs = Arrays.copyOfRange(d.locIds, d.sampleLocStart[0], d.sampleLocStart[0] + 3);
        assertArrayEquals(new long[] {1, 2, 3}, locs);
        assertEquals("main", d.string(d.fnName[(int) d.lineFunctionId[d.locLineStart[2]] - 1]));
    }

    /** Columns sized from a shape hint (too small, exact or too large) decode exactly as grown ones do. */
    @Test
    void sizeHintsChangeOnlyTheColumnCapacities() {
        PprofBuilder b = PprofBuilder.cpu().timeNanos(1_700_000_000_000_000_000L);
        for (int i = 0; i < 400; i++) {
            b.labels("worker", "w" + (i % 7)).stack(i + 1, "main", "loop" + (i % 50), "leaf" + i);
        }
        byte[] bytes = b.bytes();
        PprofData grown = new PprofDecoder().decode(bytes, 0, bytes.length, new PprofData());
        PprofData.Shape exact = grown.shape();
        assertEquals(new PprofData.Shape(grown.stringCount, 400, 1200, 400, 400, 0, grown.locationCount, grown.lineSize,
                grown.functionCount), exact);
        PprofData.Shape small = new PprofData.Shape(1, 1, 1, 1, 1, 1, 1, 1, 1);
        PprofData.Shape large = new PprofData.Shape(9000, 9000, 90_000, 9000, 9000, 90, 9000, 9000, 9000);
        for (PprofData.Shape hint : List.of(small, exact, large)) {
            PprofData d = new PprofDecoder().decode(bytes, 0, bytes.length, new PprofData(hint));
            assertEquals(exact, d.shape(), hint.toString());
            for (int s = 0; s < 400; s++) {
                assertEquals(grown.value(s, 0), d.value(s, 0));
                assertEquals(grown.locIds[grown.sampleLocStart[s]], d.locIds[d.sampleLocStart[s]]);
                assertEquals(grown.string(grown.labelStr[grown.sampleLabelStart[s]]), d.string(d.labelStr[d.sampleLabelStart[s]]));
            }
            for (int f = 0; f < grown.functionCount; f++) {
                assertEquals(grown.string(grown.fnName[f]), d.string(d.fnName[f]));
            }
        }
    }

    @Test
    void acceptsUnpackedRepeatedFields() {
        // sample { location_id: 1 (unpacked), value: 5 (unpacked) } plus a location and function
        byte[] sample = {0x08, 0x01, 0x10, 0x05};
        byte[] msg = new byte[2 + sample.length];
        msg[0] = 0x12; // field 2, length-delimited
        msg[1] = (byte) sample.length;
        System.arraycopy(sample, 0, msg, 2, sample.length);
        PprofData d = new PprofDecoder().decode(msg, 0, msg.length, new PprofData());
        assertEquals(1, d.sampleCount);
        assertEquals(1, d.locIds[0]);
        assertEquals(5, d.values[0]);
    }

    @Test
    void everyTruncationIsRejectedCleanly() {
        byte[] full = PprofBuilder.cpu().stack(5, "a", "b").stack(7, "a", "c").bytes();
        for (int len = 1; len < full.length; len++) {
            try {
                new PprofDecoder().decode(full, 0, len, new PprofData());
            } catch (InvalidInputException expected) {
                assertTrue(expected.getMessage().startsWith("invalid pprof profile"), expected.getMessage());
            }
        }
    }

    @Test
    void randomGarbageNeverThrowsAnythingElse() {
        Random r = new Random(42);
        for (int i = 0; i < 2000; i++) {
            byte[] junk = new byte[r.nextInt(200)];
            r.nextBytes(junk);
            try {
                new PprofDecoder().decode(junk, 0, junk.length, new PprofData());
            } catch (InvalidInputException expected) {
                // fine
            }
        }
    }

    @Test
    void gzipBombIsStoppedAtTheLimit() {
        byte[] zeros = new byte[8 << 20];
        byte[] bomb = PprofBuilder.gzip(zeros);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> Gzip.maybeDecompress(bomb, 1 << 20, "profile", "limits.max_profile_size_bytes"));
        assertTrue(e.getMessage().contains("exceeds the size limit of 1048576 bytes"), e.getMessage());
        assertEquals(8 << 20, Gzip.maybeDecompress(bomb, 8 << 20, "profile", "x").length);
        assertThrows(InvalidInputException.class, () -> Gzip.maybeDecompress(new byte[] {0x1f, (byte) 0x8b, 1, 2, 3}, 100, "profile", "x"));
    }
}
