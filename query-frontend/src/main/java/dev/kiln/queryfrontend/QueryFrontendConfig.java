package dev.kiln.queryfrontend;

import com.google.common.net.HostAndPort;
import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import dev.kiln.common.query.QuerySplit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Query-frontend settings. */
public record QueryFrontendConfig(int maxOutstandingPerTenant, int querierParallelism, List<String> querierAddresses,
        Duration resultsCacheMinAge, long resultsCacheMaxSizeBytes) {

    public static final ConfigKey MAX_OUTSTANDING_PER_TENANT = ConfigKey.of("frontend.max_outstanding_per_tenant", ConfigType.INT, 2048,
            "Sub-queries of one tenant that may wait in the query-frontend's fair queue (a query split by "
                    + "limits.split_queries_by_interval queues one per part); a query that does not fit is rejected with 429 resource_exhausted.");
    public static final ConfigKey QUERIER_PARALLELISM = ConfigKey.of("frontend.querier_parallelism", ConfigType.INT, 16,
            "Sub-queries the query-frontend runs at once over all its queriers; free slots go round-robin to the tenants with queued ones.");
    public static final ConfigKey QUERIER_ADDRESSES = ConfigKey.of("frontend.querier_addresses", ConfigType.STRING, "",
            "Comma-separated host:port of the queriers (their gRPC port); a name resolving to several queriers (a headless Service) "
                    + "is balanced round-robin. A failed sub-query is retried once on another querier. Empty: the querier in this process.");
    public static final ConfigKey RESULTS_CACHE_MIN_AGE = ConfigKey.of("frontend.results_cache.min_age", ConfigType.DURATION,
            Duration.ofHours(6),
            "Sub-query results whose range ended longer ago than this are cached. It must exceed querier.query_store_after, and "
                    + "should by limits.reject_older_than, so a cached part covers only data already in flushed blocks (compaction keeps "
                    + "their totals). Profiles backfilled into an older range are not seen until their part is evicted.");
    public static final ConfigKey RESULTS_CACHE_MAX_SIZE_BYTES = ConfigKey.of("frontend.results_cache.max_size_bytes", ConfigType.LONG,
            256L << 20, "Memory for cached sub-query results (least recently used are evicted first); 0 disables the cache.");

    public static final List<ConfigKey> KEYS = List.of(MAX_OUTSTANDING_PER_TENANT, QUERIER_PARALLELISM, QUERIER_ADDRESSES,
            RESULTS_CACHE_MIN_AGE, RESULTS_CACHE_MAX_SIZE_BYTES);

    public QueryFrontendConfig {
        if (maxOutstandingPerTenant <= 0) {
            throw new ConfigException(MAX_OUTSTANDING_PER_TENANT.path() + " must be positive, got " + maxOutstandingPerTenant);
        }
        if (querierParallelism <= 0) {
            throw new ConfigException(QUERIER_PARALLELISM.path() + " must be positive, got " + querierParallelism);
        }
        if (resultsCacheMaxSizeBytes < 0) {
            throw new ConfigException(RESULTS_CACHE_MAX_SIZE_BYTES.path() + " must not be negative, got " + resultsCacheMaxSizeBytes);
        }
        querierAddresses = List.copyOf(querierAddresses);
    }

    public static QueryFrontendConfig from(Config c) {
        QueryFrontendConfig config = new QueryFrontendConfig(c.getInt(MAX_OUTSTANDING_PER_TENANT.path()), c.getInt(QUERIER_PARALLELISM.path()),
                addresses(c.getString(QUERIER_ADDRESSES.path())), c.getDuration(RESULTS_CACHE_MIN_AGE.path()),
                c.getLong(RESULTS_CACHE_MAX_SIZE_BYTES.path()));
        Duration storeAfter = c.getDuration(QuerySplit.QUERY_STORE_AFTER.path());
        if (config.resultsCacheMaxSizeBytes > 0 && config.resultsCacheMinAge.compareTo(storeAfter) <= 0) {
            // Younger parts are answered by ingesters, whose data still changes: caching them would freeze a partial answer.
            throw new ConfigException(RESULTS_CACHE_MIN_AGE.path() + " (" + ConfigType.formatDuration(config.resultsCacheMinAge)
                    + ") must exceed " + QuerySplit.QUERY_STORE_AFTER.path() + " (" + ConfigType.formatDuration(storeAfter) + ")");
        }
        return config;
    }

    /** The {@code host:port} entries of a comma-separated list. */
    static List<String> addresses(String commaSeparated) {
        List<String> out = new ArrayList<>();
        for (String part : commaSeparated.split(",")) {
            String address = part.strip();
            if (address.isEmpty()) {
                continue;
            }
            HostAndPort hp;
            try {
                hp = HostAndPort.fromString(address);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(QUERIER_ADDRESSES.path() + ": '" + address + "' is not a host:port address");
            }
            if (!hp.hasPort() || hp.getHost().isEmpty()) {
                throw new ConfigException(QUERIER_ADDRESSES.path() + ": '" + address + "' is not a host:port address (the port is required)");
            }
            out.add(address);
        }
        return out;
    }
}
