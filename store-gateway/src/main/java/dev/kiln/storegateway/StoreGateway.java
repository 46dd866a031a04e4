package dev.kiln.storegateway;

import com.google.common.util.concurrent.AbstractScheduledService;
import dev.kiln.common.memory.QueryMemoryBudget;
import dev.kiln.common.block.BlockMeta;
import dev.kiln.common.block.BlockUploader;
import dev.kiln.common.block.BucketIndex;
import dev.kiln.common.block.ParquetBlock;
import dev.kiln.common.objstore.ObjectStore;
import dev.kiln.common.query.BlockQueryService;
import dev.kiln.common.query.QueryableBlock;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.server.KilnServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves queries over the blocks in object storage. It learns each tenant's blocks from the
 * bucket index the compactor maintains (one read per tenant per sync, never a bucket listing per
 * query; a tenant without an index yet is listed once per sync until the compactor writes one).
 * Block metadata is kept for every block; footers and series indexes only for the most recently
 * queried {@code max_open_blocks}, so memory stays bounded however much history there is.
 */
public final class StoreGateway extends AbstractScheduledService {
    private static final Logger log = LoggerFactory.getLogger(StoreGateway.class);

    private final StoreGatewayConfig config;
    private final ObjectStore store;
    private final BlockQueryService queries;
    private final Map<String, List<BlockMeta>> metas = new ConcurrentHashMap<>(); // tenant -> queryable blocks
    private final Object syncLock = new Object();
    private final LinkedHashMap<String, ParquetBlock> open = new LinkedHashMap<>(16, 0.75f, true); // LRU by access
    private final Counter syncFailures;
    private volatile Predicate<String> owns = blockId -> true;

    public StoreGateway(StoreGatewayConfig config, ObjectStore store, MeterRegistry registry, Executor queryExecutor,
            QueryMemoryBudget queryMemory) {
        this.config = config;
        this.store = store;
        this.queries = new BlockQueryService(this::blocks, queryExecutor, queryMemory);
        this.syncFailures = Counter.builder("pyroscope.store.gateway.sync.failures").description("Failed bucket index syncs.")
                .register(registry);
        Gauge.builder("pyroscope.store.gateway.blocks", metas, m -> m.values().stream().mapToInt(List::size).sum())
                .description("Blocks known to the store-gateway.").register(registry);
        Gauge.builder("pyroscope.store.gateway.open.blocks", this, StoreGateway::openBlocks)
                .description("Blocks with footers and series index in memory.").register(registry);
    }

    /**
     * Restricts the blocks served without an explicit block list (label and stats queries) to those
     * this store-gateway owns on its ring; by default it serves every block.
     */
    public void ownBlocksWhere(Predicate<String> ownsBlockId) {
        this.owns = ownsBlockId;
    }

    public void register(KilnServer server) {
        server.addInternalService(queries.bindAs(BlockQueryService.STORE_GATEWAY_SERVICE));
    }

    private synchronized int openBlocks() {
        return open.size();
    }

    /**
     * Blocks of {@code tenant} overlapping {@code range} (only {@code blockIds} unless empty), opened
     * on demand. Requested blocks missing from the list are looked up once more in the bucket
     * index; ids it does not list either (blocks the compactor has since replaced) are skipped.
     */
    List<QueryableBlock> blocks(String tenant, TimeRange range, Set<String> blockIds) {
        // One snapshot of the list is checked and served, so a sync replacing it meanwhile cannot
        // make the check pass and the loop below miss blocks.
        List<BlockMeta> listed = metas.getOrDefault(tenant, List.of());
        if (!blockIds.isEmpty() && !listsAll(listed, blockIds)) {
            // The querier read a newer bucket index than this store-gateway's last sync.
            resync(tenant);
            listed = metas.getOrDefault(tenant, List.of());
        }
        List<QueryableBlock> out = new ArrayList<>();
        for (BlockMeta m : listed) {
            // An explicit block list (the querier's routing) is served whoever owns the blocks: the
            // querier fails over to the next owner. Without one, only this store-gateway's own blocks.
            boolean wanted = blockIds.isEmpty() ? owns.test(m.id()) : blockIds.contains(m.id());
            if (range.overlaps(m.minTimeMs(), m.maxTimeMs()) && wanted) {
                out.add(opened(m));
            }
        }
        return out;
    }

    private static boolean listsAll(List<BlockMeta> listed, Set<String> blockIds) {
        int found = 0;
        for (BlockMeta m : listed) {
            found += blockIds.contains(m.id()) ? 1 : 0;
        }
        return found == blockIds.size();
    }

    private synchronized ParquetBlock opened(BlockMeta m) {
        String key = BlockUploader.prefix(m.tenant(), m.id());
        ParquetBlock b = open.get(key);
        if (b == null) {
            b = ParquetBlock.open(store, m, config.readRollups());
            open.put(key, b);
            while (open.size() > Math.max(1, config.maxOpenBlocks())) {
                var eldest = open.entrySet().iterator();
                eldest.next();
                eldest.remove();
            }
        }
        return b;
    }

    private void resync(String tenant) {
        synchronized (syncLock) {
            try {
                metas.put(tenant, BucketIndex.queryableBlocks(store, tenant));
            } catch (RuntimeException e) {
                syncFailures.increment();
                log.atWarn().addKeyValue("tenant", tenant).addKeyValue("err", e.getMessage()).log("block sync failed");
            }
        }
    }

    /**
     * Re-reads every tenant's block list. Serialized with {@link #resync}: otherwise a sync that
     * read the index before a resync could replace the resync's newer list with its older one.
     */
    public void sync() {
        synchronized (syncLock) {
            syncIndexes();
        }
    }

    private void syncIndexes() {
        Map<String, List<BlockMeta>> next = new HashMap<>();
        for (String tenant : store.listPrefixes("")) {
            try {
                next.put(tenant, BucketIndex.queryableBlocks(store, tenant));
            } catch (RuntimeException e) {
                syncFailures.increment();
                next.put(tenant, metas.getOrDefault(tenant, List.of()));
                log.atWarn().addKeyValue("tenant", tenant).addKeyValue("err", e.getMessage()).log("block sync failed; keeping the previous block list");
            }
        }
        metas.keySet().retainAll(next.keySet());
        metas.putAll(next);
        Set<String> known = new HashSet<>();
        next.values().forEach(list -> list.forEach(m -> known.add(BlockUploader.prefix(m.tenant(), m.id()))));
        synchronized (this) {
            open.keySet().retainAll(known);
        }
    }

    @Override
    protected void startUp() {
        sync();
    }

    @Override
    protected void runOneIteration() {
        try {
            sync();
        } catch (RuntimeException e) {
            syncFailures.increment();
            log.atWarn().addKeyValue("err", e.getMessage()).log("block sync failed");
        }
    }

    @Override
    protected Scheduler scheduler() {
        long ms = Math.max(100, config.syncInterval().toMillis());
        return Scheduler.newFixedDelaySchedule(ms, ms, TimeUnit.MILLISECONDS);
    }
}
