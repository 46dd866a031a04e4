package dev.kiln.common.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.InvalidInputException;
import dev.kiln.proto.query.v1.ProfileKeys;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ProfileKeySetTest {
    /** Keys that differ in one component only, so equality must compare all three. */
    private static ProfileKeySet sample(int n) {
        ProfileKeySet set = new ProfileKeySet();
        for (int i = 0; i < n; i++) {
            set.add(i % 7, 1_000_000L * (i % 11), i);
        }
        return set;
    }

    @Test
    void keepsEachKeyOnceInInsertionOrder() {
        ProfileKeySet set = sample(5000);
        assertEquals(5000, set.size());
        assertEquals(1234, set.add(1234 % 7, 1_000_000L * (1234 % 11), 1234));
        assertEquals(5000, set.size());
        assertEquals(4999, set.indexOf(4999 % 7, 1_000_000L * (4999 % 11), 4999));
        assertEquals(-1, set.indexOf(4999 % 7, 1_000_000L * (4999 % 11) + 1, 4999));
        assertEquals(-1, set.indexOf(1, 1_000_000L, 5000));
        assertEquals(3, set.seriesFingerprint(10));
        assertEquals(10_000_000L, set.timeNanos(10));
        assertEquals(10, set.idHash(10));
    }

    @Test
    void roundTripsThroughProtobuf() {
        ProfileKeySet set = sample(100);
        ProfileKeys proto = set.toProto();
        assertEquals(100, proto.getIdHashCount());
        ProfileKeySet back = ProfileKeySet.fromProto(proto);
        assertEquals(100, back.size());
        for (int i = 0; i < 100; i++) {
            assertEquals(i, back.indexOf(set.seriesFingerprint(i), set.timeNanos(i), set.idHash(i)));
        }
        ProfileKeys some = set.toProto(new int[] {42, 7});
        assertEquals(List.of(42L, 7L), some.getIdHashList());
        assertEquals(List.of(0L, 0L), some.getSeriesFingerprintList());
        assertEquals(List.of(9_000_000L, 7_000_000L), some.getTimeNanosList());
    }

    @Test
    void rejectsColumnsOfDifferentLengths() {
        ProfileKeys broken = ProfileKeys.newBuilder().addSeriesFingerprint(1).addTimeNanos(2).build();
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ProfileKeySet.fromProto(broken));
        assertEquals("profile keys: columns differ in length (series_fingerprint 1, time_nanos 1, id_hash 0)", e.getMessage());
    }

    @Test
    void idHashIsFnv1aOfTheUtf8Bytes() {
        // reference values of 64-bit FNV-1a
        assertEquals(0xcbf29ce484222325L, ProfileKeySet.idHash(""));
        assertEquals(0xaf63dc4c8601ec8cL, ProfileKeySet.idHash("a"));
        assertEquals(0x85944171f73967e8L, ProfileKeySet.idHash("foobar"));
        // non-ASCII hashes its UTF-8 encoding: "é" is c3 a9
        long expected = ((0xcbf29ce484222325L ^ 0xc3) * 0x100000001b3L ^ 0xa9) * 0x100000001b3L;
        assertEquals(expected, ProfileKeySet.idHash("é"));
    }

    @Test
    void eachIncludedKeyIsClaimedOnceAmongConcurrentClaimers() throws Exception {
        ProfileKeySet keys = sample(10_000);
        ProfileKeyClaims claims = new ProfileKeyClaims(keys);
        assertFalse(claims.claim(1, 1_000_000L, 10_001));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> claimers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                claimers.add(pool.submit(() -> {
                    int won = 0;
                    for (int i = 0; i < keys.size(); i++) {
                        won += claims.claim(keys.seriesFingerprint(i), keys.timeNanos(i), keys.idHash(i)) ? 1 : 0;
                    }
                    return won;
                }));
            }
            int total = 0;
            for (Future<Integer> f : claimers) {
                total += f.get();
            }
            assertEquals(10_000, total);
        } finally {
            pool.shutdownNow();
        }
        assertFalse(claims.claim(keys.seriesFingerprint(0), keys.timeNanos(0), keys.idHash(0)));
        assertTrue(new ProfileKeyClaims(new ProfileKeySet()).isEmpty());
    }
}
