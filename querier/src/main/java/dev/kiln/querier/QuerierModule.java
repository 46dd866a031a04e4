package dev.kiln.querier;

import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.process.Component;
import dev.kiln.common.process.KilnModule;
import dev.kiln.common.process.ProcessContext;
import dev.kiln.common.query.QuerySplit;
import dev.kiln.common.ring.RingKeys;
import java.time.InstantSource;
import java.util.List;

/** The querier as a process component: Kiln's internal query API over the ingester and store-gateway rings. */
public final class QuerierModule implements KilnModule {
    @Override
    public Component component() {
        return Component.QUERIER;
    }

    @Override
    public List<ConfigKey> keys() {
        return List.of();
    }

    @Override
    public void init(ProcessContext process) {
        Querier querier = new Querier(new RingQuerySources(process.ring(RingKeys.INGESTER), process.ring(RingKeys.STORE_GATEWAY),
                process.peers(), process.config().getDuration(QuerySplit.QUERY_STORE_AFTER.path()), InstantSource.system()));
        querier.register(process.server());
        process.addService(querier);
    }
}
