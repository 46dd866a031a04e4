package dev.kiln.storegateway;

import com.google.common.util.concurrent.AbstractScheduledService;
import dev.kiln.common.block.BlockMeta;
import dev.kiln.common.block.BlockUploader;
import dev.kiln.common.block.BucketIndex;
import dev.kiln.common.block.ParquetBlock;
import dev.kiln.common.objstore.NoSuchObjectException;
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
    private final LinkedHashMap<String, ParquetBlock> open = new LinkedHashMap<>(16, 0.75f, true); // LRU by access
    private final Counter syncFailures;

    public StoreGateway(StoreGatewayConfig config, ObjectStore store, MeterRegistry registry, Executor queryExecutor) {
        this.config = config;
        this.store = store;
        this.queries = new BlockQueryService(this::blocks, queryExecutor);
        this.syncFailures = Counter.builder("pyroscope.store.gateway.sync.failures").description("Failed bucket index syncs.")
                .register(registry);
        Gauge.builder("pyroscope.store.gateway.blocks", metas, m -> m.values().stream().mapToInt(List::size).sum())
                .description("Blocks known to the store-gateway.").register(registry);
        Gauge.builder("pyroscope.store.gateway.open.blocks", this, StoreGateway::openBlocks)
                .description("Blocks with footers and series index in memory.").register(registry);
    }

    public void register(KilnServer server) {
        server.addInternalService(queries.bindAs(BlockQueryService.STORE_GATEWAY_SERVICE));
    }

    private synchronized int openBlocks() {
        return open.size();
    }

    /** Blocks of {@code tenant} overlapping {@code range}, opened on demand. */
    List<QueryableBlock> blocks(String tenant, TimeRange range) {
        List<QueryableBlock> out = new ArrayList<>();
        for (BlockMeta m : metas.getOrDefault(tenant, List.of())) {
            if (range.overlaps(m.minTimeMs(), m.maxTimeMs())) {
                out.add(opened(m));
            }
        }
        return out;
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

    /** Re-reads every tenant's block list. */
    public void sync() {
        Map<String, List<BlockMeta>> next = new HashMap<>();
        for (String tenant : store.listPrefixes("")) {
            try {
                next.put(tenant, BucketIndex.read(store, tenant).map(BucketIndex::queryableBlocks).orElseGet(() -> listed(tenant)));
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

    /** A tenant without a bucket index: its complete blocks by listing (only until the compactor writes one). */
    private List<BlockMeta> listed(String tenant) {
        List<BlockMeta> out = new ArrayList<>();
        for (String id : store.listPrefixes(tenant + "/")) {
            try {
                out.add(BlockMeta.read(store, tenant, id));
            } catch (NoSuchObjectException e) {
                // Upload in progress: meta.json is written last.
            }
        }
        return out;
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
