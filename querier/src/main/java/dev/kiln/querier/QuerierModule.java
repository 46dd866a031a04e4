package dev.kiln.querier;

import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import dev.kiln.common.process.Component;
import dev.kiln.common.process.KilnModule;
import dev.kiln.common.process.ProcessContext;
import dev.kiln.common.query.QuerySplit;
import dev.kiln.common.ring.RingKeys;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;

/** The querier as a process component: Kiln's internal query API over the ingester and store-gateway rings. */
public final class QuerierModule implements KilnModule {
    static final ConfigKey BLOCK_SYNC_INTERVAL = ConfigKey.of("querier.block_sync_interval", ConfigType.DURATION, Duration.ofMinutes(1),
            "How often the querier re-reads a tenant's bucket index to route block queries to store-gateways.");

    @Override
    public Component component() {
        return Component.QUERIER;
    }

    @Override
    public List<ConfigKey> keys() {
        return List.of(BLOCK_SYNC_INTERVAL);
    }

    @Override
    public void init(ProcessContext process) {
        BlockCatalog catalog = new BlockCatalog(process.objectStore(), process.config().getDuration(BLOCK_SYNC_INTERVAL.path()),
                System::nanoTime);
        Querier querier = new Querier(new RingQuerySources(process.ring(RingKeys.INGESTER), process.ring(RingKeys.STORE_GATEWAY),
                process.peers(), catalog, process.config().getDuration(QuerySplit.QUERY_STORE_AFTER.path()), InstantSource.system()),
                process.queryMemory());
        querier.register(process.server());
        process.addService(querier);
    }
}
