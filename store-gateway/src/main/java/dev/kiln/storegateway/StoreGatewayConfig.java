package dev.kiln.storegateway;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import java.time.Duration;
import java.util.List;

/**
 * Store-gateway settings.
 *
 * @param syncInterval  {@code store_gateway.sync_interval}: how often tenants' bucket indexes are re-read
 * @param maxOpenBlocks {@code store_gateway.max_open_blocks}: blocks whose footers and series index stay
 *                      in memory; the least recently queried are closed beyond it and reopened on demand
 * @param readRollups   {@code store_gateway.read_rollups}: answer whole hours and days of a query range from
 *                      the rollups compacted blocks carry (default true); false reads raw profiles only
 */
public record StoreGatewayConfig(Duration syncInterval, int maxOpenBlocks, boolean readRollups) {
    public static final List<ConfigKey> KEYS = List.of(
            ConfigKey.of("store_gateway.sync_interval", ConfigType.DURATION, Duration.ofMinutes(1),
                    "How often the store-gateway re-reads each tenant's bucket index to find new and deleted blocks."),
            ConfigKey.of("store_gateway.max_open_blocks", ConfigType.INT, 1000,
                    "Blocks kept open (footers and series index in memory); the least recently used are closed beyond it. Bounds store-gateway memory."),
            ConfigKey.of("store_gateway.read_rollups", ConfigType.BOOLEAN, true,
                    "Answer the whole hours and days of a query range from the per-series rollups the compactor writes into its blocks, "
                            + "reading raw profiles only for the edges; the answer is the same either way, so false (raw profiles only) "
                            + "is for measuring or ruling the rollups out."));

    public static StoreGatewayConfig from(Config c) {
        return new StoreGatewayConfig(c.getDuration("store_gateway.sync_interval"), c.getInt("store_gateway.max_open_blocks"),
                c.getBoolean("store_gateway.read_rollups"));
    }
}
