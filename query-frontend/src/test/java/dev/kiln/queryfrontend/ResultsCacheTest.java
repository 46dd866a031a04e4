package dev.kiln.queryfrontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kiln.proto.query.v1.Selection;
import dev.kiln.proto.query.v1.Strings;
import dev.kiln.proto.query.v1.TimeRange;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;

class ResultsCacheTest {
    static final long NOW = Instant.parse("2025-06-01T12:00:00Z").toEpochMilli();
    static final long HOUR = 3_600_000L;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private ResultsCache cache(long maxBytes) {
        return new ResultsCache(maxBytes, Duration.ofHours(6), InstantSource.fixed(Instant.ofEpochMilli(NOW)), registry);
    }

    private static Selection part(long start, long end) {
        return Selection.newBuilder().setProfileTypeId("process_cpu:cpu:nanoseconds:cpu:nanoseconds").setLabelSelector("{}")
                .setRange(TimeRange.newBuilder().setStart(start).setEnd(end)).build();
    }

    private static Strings answer(int bytes) {
        return Strings.newBuilder().addValues("x".repeat(bytes)).build();
    }

    @Test
    void onlyPartsThatEndedBeforeTheMinimumAgeHaveAKey() {
        ResultsCache c = cache(1 << 20);
        assertNotNull(c.keyFor("t", "SelectTree", part(NOW - 8 * HOUR, NOW - 7 * HOUR), NOW - 7 * HOUR));
        assertNull(c.keyFor("t", "SelectTree", part(NOW - 7 * HOUR, NOW - 6 * HOUR), NOW - 6 * HOUR), "ends exactly min_age ago");
        assertNull(c.keyFor("t", "SelectTree", part(NOW - HOUR, NOW), NOW), "recent");
        assertNull(c.keyFor("t", "SelectTree", Selection.getDefaultInstance(), 0), "open range");
        assertNull(cache(0).keyFor("t", "SelectTree", part(NOW - 8 * HOUR, NOW - 7 * HOUR), NOW - 7 * HOUR), "cache disabled");
    }

    @Test
    void keysSeparateTenantsMethodsAndRanges() {
        ResultsCache c = cache(1 << 20);
        Selection p = part(NOW - 8 * HOUR, NOW - 7 * HOUR);
        ByteString key = c.keyFor("a", "SelectTree", p, NOW - 7 * HOUR);
        assertEquals(key, c.keyFor("a", "SelectTree", part(NOW - 8 * HOUR, NOW - 7 * HOUR), NOW - 7 * HOUR));
        assertNotEquals(key, c.keyFor("b", "SelectTree", p, NOW - 7 * HOUR));
        assertNotEquals(key, c.keyFor("a|b", "SelectTree", p, NOW - 7 * HOUR));
        assertNotEquals(key, c.keyFor("a", "SelectPprof", p, NOW - 7 * HOUR));
        assertNotEquals(key, c.keyFor("a", "SelectTree", part(NOW - 9 * HOUR, NOW - 7 * HOUR), NOW - 7 * HOUR));
    }

    @Test
    void hitsAndMissesAreCounted() {
        ResultsCache c = cache(1 << 20);
        ByteString key = c.keyFor("t", "LabelNames", part(NOW - 8 * HOUR, NOW - 7 * HOUR), NOW - 7 * HOUR);
        assertNull(c.get(key, Strings.parser()));
        c.put(key, answer(10));
        assertEquals(answer(10), c.get(key, Strings.parser()));
        assertEquals(1.0, registry.get("pyroscope.query.frontend.results.cache.hits").counter().count());
        assertEquals(1.0, registry.get("pyroscope.query.frontend.results.cache.misses").counter().count());
    }

    @Test
    void theSizeBoundEvictsTheLeastRecentlyUsed() {
        ResultsCache c = cache(3_000);
        ByteString[] keys = new ByteString[4];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = c.keyFor("t", "LabelNames", part(NOW - (20 - i) * HOUR, NOW - (19 - i) * HOUR), NOW - (19 - i) * HOUR);
        }
        c.put(keys[0], answer(900));
        c.put(keys[1], answer(900));
        c.put(keys[2], answer(900));
        assertNotNull(c.get(keys[0], Strings.parser())); // 0 is now more recently used than 1
        c.put(keys[3], answer(900));

        assertNull(c.get(keys[1], Strings.parser()), "least recently used, evicted");
        assertNotNull(c.get(keys[0], Strings.parser()));
        assertNotNull(c.get(keys[2], Strings.parser()));
        assertNotNull(c.get(keys[3], Strings.parser()));
        assertTrue(c.sizeBytes() <= 3_000, c.sizeBytes() + " bytes");
        assertEquals(1.0, registry.get("pyroscope.query.frontend.results.cache.evictions").counter().count());
        assertEquals(c.sizeBytes(), registry.get("pyroscope.query.frontend.results.cache.size").gauge().value());
    }

    @Test
    void anAnswerLargerThanTheWholeCacheIsNotKept() {
        ResultsCache c = cache(3_000);
        ByteString small = c.keyFor("t", "LabelNames", part(NOW - 9 * HOUR, NOW - 8 * HOUR), NOW - 8 * HOUR);
        ByteString huge = c.keyFor("t", "LabelNames", part(NOW - 8 * HOUR, NOW - 7 * HOUR), NOW - 7 * HOUR);
        c.put(small, answer(100));
        c.put(huge, answer(5_000));
        assertNull(c.get(huge, Strings.parser()));
        assertNotNull(c.get(small, Strings.parser()), "kept: the huge answer did not push it out");
    }
}
