package dev.kiln.common.ring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TokensTest {

    @Test
    void fnv1a32MatchesReferenceVectors() {
        assertEquals(0x811c9dc5, Tokens.fnv1a32(""));
        assertEquals(0xe40c292c, Tokens.fnv1a32("a"));
        assertEquals(0xbf9cf968, Tokens.fnv1a32("foobar"));
        assertEquals(Tokens.fnv1a32(new byte[] {(byte) 0xe2, (byte) 0x82, (byte) 0xac}), Tokens.fnv1a32("€"));
    }

    @Test
    void sortingAndDistancesAreUnsigned() {
        int[] sorted = Tokens.sortedCopy(new int[] {0xF0000000, 5, 0x80000000, 0});
        assertArrayEquals(new int[] {0, 5, 0x80000000, 0xF0000000}, sorted);
        assertEquals(4026531840L, Tokens.toUnsigned(0xF0000000));
        assertEquals(0x10000005L, Tokens.distance(0xF0000000, 5));
        assertEquals(0x7FFFFFFBL, Tokens.distance(5, 0x80000000));
        assertEquals(Tokens.RING_SIZE, Tokens.distance(7, 7));
    }

    @Test
    void fromUnsignedRejectsValuesOutsideTheRing() {
        assertEquals(-1, Tokens.fromUnsigned(4294967295L));
        assertEquals("token 4294967296 is outside the 32-bit ring [0, 4294967295]",
                assertThrows(IllegalArgumentException.class, () -> Tokens.fromUnsigned(1L << 32)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tokens.fromUnsigned(-1));
    }

    @Test
    void generatedTokensSkipTakenOnesAndAreSorted() {
        Random reference = new Random(11);
        int[] firstDraws = {reference.nextInt(), reference.nextInt(), reference.nextInt()};
        int[] laterDraws = {reference.nextInt(), reference.nextInt()};

        int[] generated = Tokens.generate(2, firstDraws, new Random(11));

        assertArrayEquals(Tokens.sortedCopy(laterDraws), generated);
    }

    @Test
    void generateRejectsNegativeCounts() {
        assertEquals("token count must not be negative, got -1",
                assertThrows(IllegalArgumentException.class, () -> Tokens.generate(-1, new int[0], new Random()))
                        .getMessage());
    }
}
