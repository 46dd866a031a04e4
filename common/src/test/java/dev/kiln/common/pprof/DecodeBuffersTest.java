package dev.kiln.common.pprof;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.kiln.common.InvalidInputException;
import dev.kiln.common.testing.PprofBuilder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reused decode buffers give every profile exactly its own content, whatever the previous one held. */
class DecodeBuffersTest {
    private static byte[] profile(int stacks, String prefix) {
        PprofBuilder b = PprofBuilder.cpu();
        for (int i = 0; i < stacks; i++) {
            b.stack(i + 1, "main", prefix + i);
        }
        return b.gzipped();
    }

    /** Function names of the decoded profile's samples, leaf frame only, in sample order. */
    private static List<String> leaves(PprofData d) {
        PprofRefs refs = PprofRefs.validate(d);
        List<String> out = new ArrayList<>();
        for (int s = 0; s < d.sampleCount; s++) {
            long loc = d.locIds[d.sampleLocStart[s]];
            int line = d.locLineStart[refs.locations.index(loc)];
            out.add(d.string(d.fnName[refs.functions.index(d.lineFunctionId[line])]) + "=" + d.value(s, 0));
        }
        return out;
    }

    @Test
    void aSmallerProfileAfterALargerOneDecodesToItsOwnContent() {
        // Several rounds so that pooled buffers are certainly reused (the pool is shared by the JVM).
        for (int round = 0; round < 4; round++) {
            DecodeBuffers big = DecodeBuffers.take(null);
            PprofData d = big.decode(profile(500, "big"), 1 << 24, "limit");
            assertEquals(500, d.sampleCount);
            assertEquals("big499=500", leaves(d).get(499));
            big.release();

            DecodeBuffers small = DecodeBuffers.take(null);
            byte[] payload = profile(3, "small");
            PprofData s = small.decode(payload, 1 << 24, "limit");
            assertEquals(List.of("small0=1", "small1=2", "small2=3"), leaves(s));
            assertEquals(PprofBuilder.cpu().stack(1, "main", "small0").stack(2, "main", "small1").stack(3, "main", "small2").bytes().length,
                    small.decodedBytes(), "the decompressed size, not the reused buffer's");
            small.release();
        }
    }

    @Test
    void plainPayloadsAreDecodedInPlaceAndNotKept() {
        DecodeBuffers b = DecodeBuffers.take(null);
        byte[] plain = PprofBuilder.cpu().stack(7, "main", "f").bytes();
        PprofData d = b.decode(plain, 1 << 20, "limit");
        assertEquals(plain.length, b.decodedBytes());
        assertEquals(List.of("f=7"), leaves(d));
        b.release();
        assertNull(d.buf, "a released buffer set does not hold on to the caller's payload");
    }

    @Test
    void limitsAndErrorsAreTheDecoders() {
        DecodeBuffers b = DecodeBuffers.take(null);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> b.decode(profile(200, "f"), 100, "limits.max_profile_size_bytes"));
        assertEquals(true, e.getMessage().contains("limits.max_profile_size_bytes"), e.getMessage());
        b.release();
        assertThrows(IllegalStateException.class, b::release, "released twice");
    }

    @Test
    void buffersGrownPastTheCapAreNotReused() {
        DecodeBuffers b = DecodeBuffers.take(null);
        PprofData d = b.decode(profile(3, "x"), 1 << 24, "limit");
        d.locIds = new long[(int) (DecodeBuffers.MAX_KEPT_BYTES / 8) + 1]; // as if a huge profile had grown it
        b.release();
        for (int i = 0; i < 64; i++) {
            assertNotSame(b, DecodeBuffers.take(null));
        }
    }

    /** Payloads still in their request message (a slice of a larger buffer, as parsed with aliasing). */
    @Test
    void payloadsInRequestMessagesDecodeLikeArrays() {
        for (int round = 0; round < 3; round++) {
            for (byte[] payload : List.of(profile(300, "gz"), PprofBuilder.cpu().stack(9, "main", "plain").bytes())) {
                byte[] framed = new byte[payload.length + 20];
                System.arraycopy(payload, 0, framed, 7, payload.length);
                ByteString slice = ByteString.copyFrom(framed).substring(7, 7 + payload.length);
                DecodeBuffers fromMessage = DecodeBuffers.take(null);
                DecodeBuffers fromArray = DecodeBuffers.take(null);
                List<String> expected = leaves(fromArray.decode(payload, 1 << 24, "limit"));
                assertEquals(expected, leaves(fromMessage.decode(slice, 1 << 24, "limit")));
                assertEquals(fromArray.decodedBytes(), fromMessage.decodedBytes());
                fromArray.release();
                fromMessage.release();
            }
        }
        DecodeBuffers b = DecodeBuffers.take(null);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> b.decode(ByteString.copyFrom(PprofBuilder.cpu().stack(9, "main", "plain").bytes()), 10, "limits.max_profile_size_bytes"));
        assertEquals(true, e.getMessage().contains("limits.max_profile_size_bytes"), e.getMessage());
    }
}
