package dev.kiln.queryfrontend;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import java.util.List;

/** Query-frontend settings. */
public record QueryFrontendConfig(int maxOutstandingPerTenant) {
    public static final List<ConfigKey> KEYS = List.of(
            ConfigKey.of("query_frontend.max_outstanding_per_tenant", ConfigType.INT, 2048,
                    "Queries of one tenant that may wait for a free slot (beyond limits.max_concurrent_queries running); more are rejected with 429 resource_exhausted."));

    public static QueryFrontendConfig from(Config c) {
        return new QueryFrontendConfig(c.getInt("query_frontend.max_outstanding_per_tenant"));
    }
}
