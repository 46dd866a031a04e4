package dev.kiln.distributor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.ErrorCode;
import dev.kiln.common.KilnException;
import dev.kiln.common.limits.Limits;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class IngestionRateLimiterTest {
    static final long MIB = 1 << 20;

    static Limits rate(double mbPerSecond, double burstMb) {
        Limits d = Limits.DEFAULTS;
        return new Limits(mbPerSecond, burstMb, d.maxLabelNameLength(), d.maxLabelValueLength(), d.maxLabelNamesPerSeries(),
                d.maxProfileSizeBytes(), d.maxProfileStacktraceSamples(), d.maxProfileStacktraceDepth(),
                d.maxProfileSymbolValueLength(), d.rejectOlderThan(), d.rejectNewerThan(), d.maxGlobalSeriesPerTenant(),
                d.maxQueryLength(), d.maxQueryLookback(), d.maxFlameGraphNodesDefault(), d.maxFlameGraphNodesMax(),
                d.maxConcurrentQueries(), d.splitQueriesByInterval(), d.retentionPeriod());
    }

    @Test
    void burstThenRefillAtTheRate() {
        AtomicLong now = new AtomicLong();
        IngestionRateLimiter l = new IngestionRateLimiter(t -> rate(1, 2), now::get);
        l.acquire("a", 2 * MIB);
        KilnException e = assertThrows(KilnException.class, () -> l.acquire("a", 1));
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, e.code());
        assertTrue(e.getMessage().contains("limits.ingestion_rate_mb"), e.getMessage());
        assertTrue(e.getMessage().contains("tenant 'a'"), e.getMessage());
        l.acquire("b", 2 * MIB); // tenants have their own buckets
        now.addAndGet(500_000_000L); // half a second refills 0.5 MiB
        l.acquire("a", MIB / 2);
        assertThrows(KilnException.class, () -> l.acquire("a", MIB / 4));
        now.addAndGet(10_000_000_000L); // refill stops at the burst
        assertThrows(KilnException.class, () -> l.acquire("a", 2 * MIB + 1));
        l.acquire("a", 2 * MIB);
    }

    @Test
    void zeroRateDisablesTheLimit() {
        IngestionRateLimiter l = new IngestionRateLimiter(t -> rate(0, 0), () -> 0);
        l.acquire("a", 1L << 40);
    }
}
