package dev.kiln.common.query;

import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import java.time.Duration;

/**
 * Where queries switch from ingesters to store-gateways. Profiles newer than
 * {@code now - query_store_after} are answered by ingesters (head and their recently flushed
 * blocks), older ones by store-gateways. Each profile falls on exactly one side of the cut, so
 * it is never counted twice; ingesters keep flushed blocks long enough to cover their side.
 */
public final class QuerySplit {
    public static final ConfigKey QUERY_STORE_AFTER = ConfigKey.of("querier.query_store_after", ConfigType.DURATION, Duration.ofHours(4),
            "Profiles newer than this are read from ingesters, older ones from store-gateways. Must exceed the time a block needs to be "
                    + "flushed and discovered (pyroscopedb.max_block_duration + pyroscopedb.flush_grace + the bucket index update period).");

    private QuerySplit() {}
}
