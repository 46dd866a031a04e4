package dev.kiln.distributor;

import dev.kiln.common.KilnException;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.limits.TenantLimits;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Per-tenant token bucket over profile bytes (decompressed size), refilled at
 * {@code limits.ingestion_rate_mb} MiB/s up to {@code limits.ingestion_burst_size_mb}. A push that
 * does not fit is rejected whole, so nothing of it is half-stored. Limits are read on every call,
 * so runtime overrides apply at once.
 */
final class IngestionRateLimiter {
    private static final double MIB = 1 << 20;

    private final TenantLimits limits;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    IngestionRateLimiter(TenantLimits limits, LongSupplier nanoTime) {
        this.limits = limits;
        this.nanoTime = nanoTime;
    }

    private static final class Bucket {
        double tokens = Double.NaN;
        long lastNanos;
    }

    /** Takes {@code bytes} from the tenant's bucket or throws resource_exhausted naming the limit. */
    void acquire(String tenant, long bytes) {
        Limits l = limits.forTenant(tenant);
        if (l.ingestionRateMb() <= 0) {
            return;
        }
        double rate = l.ingestionRateMb() * MIB;
        double burst = Math.max(l.ingestionBurstSizeMb() * MIB, rate > 0 ? 1 : 0);
        Bucket b = buckets.computeIfAbsent(tenant, t -> new Bucket());
        synchronized (b) {
            long now = nanoTime.getAsLong();
            if (Double.isNaN(b.tokens)) {
                b.tokens = burst;
            } else {
                b.tokens = Math.min(burst, b.tokens + (now - b.lastNanos) / 1e9 * rate);
            }
            b.lastNanos = now;
            if (bytes > b.tokens) {
                throw KilnException.resourceExhausted(String.format(
                        "push rate limit (%s MB/s, burst %s MB) exceeded while adding %d bytes for tenant '%s' (limits.ingestion_rate_mb, limits.ingestion_burst_size_mb)",
                        trim(l.ingestionRateMb()), trim(l.ingestionBurstSizeMb()), bytes, tenant));
            }
            b.tokens -= bytes;
        }
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
