package dev.kiln.common.ring;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * Ring tokens and keys are unsigned 32-bit numbers (dskit's {@code uint32}) carried in Java
 * {@code int}s: every comparison here is unsigned, and {@link #toUnsigned} gives the number to show.
 */
public final class Tokens {

    /** Size of the token space, 2^32. */
    public static final long RING_SIZE = 1L << 32;

    private static final int FNV32_OFFSET_BASIS = 0x811c9dc5;
    private static final int FNV32_PRIME = 0x01000193;

    private Tokens() {}

    /**
     * FNV-1a, 32 bits: the ring key function. Pyroscope hashes store-gateway block IDs with FNV-1a
     * 32 ({@code HashBlockID}), and the function is fast, stable across JVMs and versions, and needs
     * no library. (Pyroscope's distributor hashes series with FNV-1, not 1a; key placement is internal
     * to a cluster, so Kiln does not need to match it.)
     */
    public static int fnv1a32(byte[] data) {
        int hash = FNV32_OFFSET_BASIS;
        for (byte b : data) {
            hash ^= b & 0xff;
            hash *= FNV32_PRIME;
        }
        return hash;
    }

    /** {@link #fnv1a32(byte[])} of the UTF-8 bytes of {@code key}. */
    public static int fnv1a32(String key) {
        return fnv1a32(key.getBytes(StandardCharsets.UTF_8));
    }

    /** A block's key on the store-gateway ring, used alike by store-gateways and the queriers routing to them. */
    public static int forBlock(String blockId) {
        return fnv1a32(blockId);
    }

    /** A tenant's key on the compactor ring. */
    public static int forTenant(String tenant) {
        return fnv1a32(tenant);
    }

    /** The token as the unsigned number it stands for. */
    public static long toUnsigned(int token) {
        return Integer.toUnsignedLong(token);
    }

    /** A token from its unsigned value; rejects values outside [0, 2^32). */
    public static int fromUnsigned(long value) {
        if (value < 0 || value >= RING_SIZE) {
            throw new IllegalArgumentException("token " + value + " is outside the 32-bit ring [0, 4294967295]");
        }
        return (int) value;
    }

    /** A copy of {@code tokens} in unsigned ascending order. */
    public static int[] sortedCopy(int[] tokens) {
        // Flipping the sign bit maps unsigned order onto signed order, so Arrays.sort can do the work.
        int[] sorted = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            sorted[i] = tokens[i] ^ Integer.MIN_VALUE;
        }
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            sorted[i] ^= Integer.MIN_VALUE;
        }
        return sorted;
    }

    /**
     * How much of the ring ends at {@code token} when the previous token is {@code previous}: the
     * clockwise distance, or the whole ring when they are the same (a ring of one token).
     */
    public static long distance(int previous, int token) {
        long distance = (toUnsigned(token) - toUnsigned(previous)) & (RING_SIZE - 1);
        return distance == 0 ? RING_SIZE : distance;
    }

    /**
     * Draws {@code count} random tokens that are neither in {@code taken} nor repeated, sorted.
     *
     * @param taken tokens already owned by other instances, in any order
     */
    public static int[] generate(int count, int[] taken, RandomGenerator random) {
        if (count < 0) {
            throw new IllegalArgumentException("token count must not be negative, got " + count);
        }
        if (RING_SIZE - taken.length < count) {
            throw new IllegalArgumentException("cannot draw " + count + " free tokens: " + taken.length
                    + " of 2^32 are taken");
        }
        Set<Integer> used = new HashSet<>();
        for (int token : taken) {
            used.add(token);
        }
        int[] drawn = new int[count];
        int filled = 0;
        while (filled < count) {
            int candidate = random.nextInt();
            if (used.add(candidate)) {
                drawn[filled++] = candidate;
            }
        }
        return sortedCopy(drawn);
    }
}
