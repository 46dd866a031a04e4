package dev.kiln.queryfrontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.query.QuerySplit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QueryFrontendConfigTest {
    private static Config config(Map<String, ?> overrides) {
        List<ConfigKey> keys = new ArrayList<>(QueryFrontendConfig.KEYS);
        keys.add(QuerySplit.QUERY_STORE_AFTER);
        return Config.defaults(keys, overrides);
    }

    @Test
    void defaults() {
        QueryFrontendConfig c = QueryFrontendConfig.from(config(Map.of()));
        assertEquals(new QueryFrontendConfig(2048, 16, List.of(), Duration.ofHours(6), 256L << 20), c);
    }

    @Test
    void querierAddressesAreACommaSeparatedListOfHostAndPort() {
        assertEquals(List.of("querier-0:9095", "10.0.0.7:9095", "[::1]:9095"), QueryFrontendConfig.from(config(Map.of(
                "frontend.querier_addresses", "querier-0:9095, 10.0.0.7:9095,,[::1]:9095"))).querierAddresses());
        ConfigException e = assertThrows(ConfigException.class,
                () -> QueryFrontendConfig.from(config(Map.of("frontend.querier_addresses", "querier-0:9095,querier-1"))));
        assertEquals("frontend.querier_addresses: 'querier-1' is not a host:port address (the port is required)", e.getMessage());
        e = assertThrows(ConfigException.class, () -> QueryFrontendConfig.from(config(Map.of("frontend.querier_addresses", "querier-0:grpc"))));
        assertEquals("frontend.querier_addresses: 'querier-0:grpc' is not a host:port address", e.getMessage());
    }

    @Test
    void theCacheMayNotHoldPartsThatIngestersStillAnswer() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> QueryFrontendConfig.from(config(Map.of("frontend.results_cache.min_age", Duration.ofHours(3)))));
        assertEquals("frontend.results_cache.min_age (3h) must exceed querier.query_store_after (4h)", e.getMessage());
        // Without a cache the age does not matter.
        assertEquals(0, QueryFrontendConfig.from(config(Map.of("frontend.results_cache.min_age", Duration.ofHours(3),
                "frontend.results_cache.max_size_bytes", 0L))).resultsCacheMaxSizeBytes());
    }
}
