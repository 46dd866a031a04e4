package dev.kiln.querier;

import dev.kiln.common.block.BlockMeta;
import dev.kiln.common.block.BucketIndex;
import dev.kiln.common.objstore.ObjectStore;
import dev.kiln.common.query.TimeRange;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The blocks a querier routes to store-gateways, per tenant, read from the tenant's bucket index
 * and re-read once older than {@code querier.block_sync_interval}. A stale list is still a correct
 * one: blocks the compactor replaced stay readable for the deletion delay, and the querier
 * deduplicates replicas' overlapping blocks, so the list only decides how fresh the store side is.
 */
final class BlockCatalog {
    private record Entry(List<BlockMeta> blocks, long readAtNanos) {}

    private final ObjectStore store;
    private final long maxAgeNanos;
    private final LongSupplier nanoTime;
    private final Map<String, Entry> tenants = new ConcurrentHashMap<>();

    BlockCatalog(ObjectStore store, Duration maxAge, LongSupplier nanoTime) {
        this.store = store;
        this.maxAgeNanos = maxAge.toNanos();
        this.nanoTime = nanoTime;
    }

    /** Queryable blocks of {@code tenants} overlapping {@code range}. */
    List<BlockMeta> blocks(Collection<String> tenantIds, TimeRange range) {
        List<BlockMeta> out = new ArrayList<>();
        for (String tenant : tenantIds) {
            for (BlockMeta m : current(tenant)) {
                if (range.overlaps(m.minTimeMs(), m.maxTimeMs())) {
                    out.add(m);
                }
            }
        }
        return out;
    }

    private List<BlockMeta> current(String tenant) {
        long now = nanoTime.getAsLong();
        Entry e = tenants.get(tenant);
        if (e == null || now - e.readAtNanos() >= maxAgeNanos) {
            e = new Entry(BucketIndex.queryableBlocks(store, tenant), now);
            tenants.put(tenant, e);
        }
        return e.blocks();
    }
}
