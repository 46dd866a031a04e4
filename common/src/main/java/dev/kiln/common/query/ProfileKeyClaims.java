package dev.kiln.common.query;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The profiles a selection may aggregate ({@code Selection.include_keys}), each at most once: a
 * block aggregates a profile only if it is the first to {@link #claim} its key. Blocks of one
 * service are scanned in parallel and may overlap (a store-gateway can hold several ingesters'
 * uploads of the same hour), so the claim is atomic. One instance serves one request.
 */
public final class ProfileKeyClaims {
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final ProfileKeySet keys;
    /** One bit per key position: claimed. Updated atomically through {@link #WORDS}. */
    private final long[] claimed;

    public ProfileKeyClaims(ProfileKeySet keys) {
        this.keys = keys;
        this.claimed = new long[(keys.size() + 63) >>> 6];
    }

    /** True exactly once per included key (for the first caller); false for keys not included. */
    public boolean claim(long seriesFingerprint, long timeNanos, long idHash) {
        int p = keys.indexOf(seriesFingerprint, timeNanos, idHash);
        if (p < 0) {
            return false;
        }
        long bit = 1L << (p & 63);
        long before = (long) WORDS.getAndBitwiseOr(claimed, p >>> 6, bit);
        return (before & bit) == 0;
    }

    /** Whether the include set is empty, so nothing can be selected. */
    public boolean isEmpty() {
        return keys.size() == 0;
    }
}
