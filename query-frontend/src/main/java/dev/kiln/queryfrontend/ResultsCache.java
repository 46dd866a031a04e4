package dev.kiln.queryfrontend;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Answers of fully historical sub-queries, in memory up to {@code query_frontend.results_cache.max_size_bytes}
 * (least recently used evicted first). A sub-query is historical when its range ended more than
 * {@code query_frontend.results_cache.min_age} ago: then only store-gateways answer it, from blocks
 * whose totals no longer change. Entries are keyed by tenant(s), method and the serialized request,
 * which carries the part's range, and stored serialized so the budget counts real bytes.
 */
final class ResultsCache {
    private final long maxBytes;
    private final long minAgeMs;
    private final InstantSource clock;
    private final Cache<ByteString, byte[]> entries;
    private final AtomicLong bytes = new AtomicLong();
    private final Counter hits;
    private final Counter misses;
    private final Counter evictions;

    ResultsCache(long maxBytes, Duration minAge, InstantSource clock, MeterRegistry registry) {
        this.maxBytes = maxBytes;
        this.minAgeMs = minAge.toMillis();
        this.clock = clock;
        this.hits = Counter.builder("pyroscope.query.frontend.results.cache.hits").description("Sub-queries answered from the results cache.")
                .register(registry);
        this.misses = Counter.builder("pyroscope.query.frontend.results.cache.misses")
                .description("Historical sub-queries not in the results cache, sent to the queriers.").register(registry);
        this.evictions = Counter.builder("pyroscope.query.frontend.results.cache.evictions")
                .description("Results evicted from the results cache to stay within its size.").register(registry);
        Gauge.builder("pyroscope.query.frontend.results.cache.size", bytes, AtomicLong::get).baseUnit("bytes")
                .description("Memory held by the results cache.").register(registry);
        // One segment: Guava splits the weight budget per segment, and LRU order is per segment too.
        this.entries = maxBytes <= 0 ? null : CacheBuilder.newBuilder()
                .concurrencyLevel(1)
                .maximumWeight(maxBytes)
                .<ByteString, byte[]>weigher((k, v) -> weight(k, v))
                .removalListener(n -> {
                    bytes.addAndGet(-weight(n.getKey(), n.getValue()));
                    if (n.wasEvicted()) {
                        evictions.increment();
                    }
                })
                .build();
    }

    private static int weight(ByteString key, byte[] value) {
        return (int) Math.min(Integer.MAX_VALUE, (long) key.size() + value.length);
    }

    /**
     * The cache key of a sub-query, or null when its answer may still change (its range is open or
     * ends within min_age of now) or the cache is disabled.
     */
    ByteString keyFor(String tenant, String method, Message request, long endMs) {
        if (entries == null || endMs <= 0 || endMs >= clock.millis() - minAgeMs) {
            return null;
        }
        return ByteString.copyFrom(tenant + "\n" + method + "\n", StandardCharsets.UTF_8).concat(request.toByteString());
    }

    /** The cached answer, or null (a miss). */
    <T extends Message> T get(ByteString key, Parser<T> parser) {
        byte[] value = entries.getIfPresent(key);
        if (value == null) {
            misses.increment();
            return null;
        }
        hits.increment();
        try {
            return parser.parseFrom(value);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("results cache entry does not parse, though the cache wrote it", e);
        }
    }

    void put(ByteString key, Message answer) {
        byte[] value = answer.toByteArray();
        if ((long) key.size() + value.length > maxBytes) {
            return; // would evict everything else and then itself
        }
        bytes.addAndGet(weight(key, value));
        entries.put(key, value);
    }

    /** Bytes held now. */
    long sizeBytes() {
        return bytes.get();
    }
}
