package dev.kiln.ingester;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigLoader;
import dev.kiln.common.query.QuerySplit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IngesterConfigTest {
    static Config load(String... flags) {
        List<ConfigKey> keys = new ArrayList<>(IngesterConfig.KEYS);
        keys.add(QuerySplit.QUERY_STORE_AFTER);
        return new ConfigLoader(keys).load(flags, k -> null);
    }

    @Test
    void theHeadLimitDefaultsToAQuarterOfTheHeap() {
        assertEquals(Runtime.getRuntime().maxMemory() / 4, IngesterConfig.from(load()).flush().maxHeadBytes());
        assertEquals(0, IngesterConfig.from(load("-pyroscopedb.max-head-bytes=0")).flush().maxHeadBytes(), "0: no limit");
        assertEquals(64L << 20, IngesterConfig.from(load("-pyroscopedb.max-head-bytes=" + (64L << 20))).flush().maxHeadBytes());
        ConfigException e = assertThrows(ConfigException.class, () -> IngesterConfig.from(load("-pyroscopedb.max-head-bytes=-5")));
        assertTrue(e.getMessage().contains("pyroscopedb.max_head_bytes"), e.getMessage());
    }
}
