package dev.kiln.common.block;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.ref.WeakReference;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * What blocks keep in memory between queries — their symbols and resolved stack trees — bounded
 * by bytes for the whole process, least recently used evicted first. A block refers to its entries
 * weakly: once evicted here (and no running query uses them), the garbage collector frees them and
 * the block loads them again on its next query. Without this bound the store-gateway's and the
 * ingester's blocks would hold every block's symbols until the heap filled.
 */
public final class BlockCache {
    public static final ConfigKey CAPACITY = ConfigKey.of("query.block_cache_bytes", ConfigType.LONG, 0L,
            "Bytes of block symbols and resolved stack trees kept between queries in a process (ingester and store-gateway "
                    + "blocks), least recently used evicted first. 0: an eighth of the JVM's maximum heap.");
    public static final List<ConfigKey> KEYS = List.of(CAPACITY);

    private static final BlockCache SHARED = new BlockCache(Runtime.getRuntime().maxMemory() / 8);

    /** Identity-keyed (entries do not override equals), in access order. */
    private final LinkedHashMap<Object, Long> entries = new LinkedHashMap<>(64, 0.75f, true);
    private long capacityBytes;
    private long usedBytes;
    private long evictions;

    BlockCache(long capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    /** The process's cache, which every {@link ParquetBlock} uses. */
    public static BlockCache shared() {
        return SHARED;
    }

    /** Sizes the process's cache from {@code query.block_cache_bytes} and publishes its meters. */
    public static void configure(Config config, MeterRegistry registry) {
        long configured = config.getLong(CAPACITY.path());
        if (configured < 0) {
            throw new ConfigException(CAPACITY.path() + " must be >= 0, got " + configured);
        }
        SHARED.resize(configured == 0 ? Runtime.getRuntime().maxMemory() / 8 : configured);
        Gauge.builder("kiln_block_cache_bytes", SHARED, BlockCache::usedBytes)
                .description("bytes of block symbols and resolved stack trees kept between queries").register(registry);
        Gauge.builder("kiln_block_cache_capacity_bytes", SHARED, BlockCache::capacityBytes)
                .description("query.block_cache_bytes").register(registry);
        FunctionCounter.builder("kiln_block_cache_evictions_total", SHARED, BlockCache::evictions)
                .description("block symbols or stack trees dropped to stay within query.block_cache_bytes").register(registry);
    }

    /** Keeps {@code value} (about {@code bytes} of memory) until it is the least recently used one over the capacity. */
    public synchronized void put(Object value, long bytes) {
        Long previous = entries.put(value, bytes);
        usedBytes += bytes - (previous == null ? 0 : previous);
        evict();
    }

    /** Marks {@code value} as just used; false when it is no longer kept. */
    public synchronized boolean touch(Object value) {
        return entries.get(value) != null;
    }

    synchronized void resize(long bytes) {
        capacityBytes = bytes;
        evict();
    }

    public synchronized long usedBytes() {
        return usedBytes;
    }

    public synchronized long capacityBytes() {
        return capacityBytes;
    }

    public synchronized long evictions() {
        return evictions;
    }

    /**
     * One value of a block kept in the process's cache: held weakly here and strongly by the cache
     * until it is evicted; loaded again when the collector has freed it since.
     */
    static final class Slot<T> {
        private WeakReference<T> ref = new WeakReference<>(null);

        /** The value, loaded with {@code load} when absent and (re)admitted to the cache with its estimated size. */
        synchronized T get(Supplier<T> load, ToLongFunction<T> bytes) {
            T value = ref.get();
            if (value == null) {
                value = load.get();
                ref = new WeakReference<>(value);
            } else if (SHARED.touch(value)) {
                return value;
            }
            SHARED.put(value, bytes.applyAsLong(value));
            return value;
        }
    }

    private void evict() {
        Iterator<Map.Entry<Object, Long>> it = entries.entrySet().iterator();
        while (usedBytes > capacityBytes && it.hasNext()) {
            usedBytes -= it.next().getValue();
            it.remove();
            evictions++;
        }
    }
}
