package dev.kiln.common.limits;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-tenant limits with Pyroscope's names and defaults (pyroscope-lessons.md §2.1), set under
 * {@code limits:} in the config file and overridable per tenant in the runtime overrides file.
 * A value of 0 disables a limit unless noted.
 */
public record Limits(
        @JsonProperty("ingestion_rate_mb") double ingestionRateMb,
        @JsonProperty("ingestion_burst_size_mb") double ingestionBurstSizeMb,
        @JsonProperty("max_label_name_length") int maxLabelNameLength,
        @JsonProperty("max_label_value_length") int maxLabelValueLength,
        @JsonProperty("max_label_names_per_series") int maxLabelNamesPerSeries,
        @JsonProperty("max_profile_size_bytes") long maxProfileSizeBytes,
        @JsonProperty("max_profile_stacktrace_samples") int maxProfileStacktraceSamples,
        @JsonProperty("max_profile_stacktrace_depth") int maxProfileStacktraceDepth,
        @JsonProperty("max_profile_symbol_value_length") int maxProfileSymbolValueLength,
        @JsonProperty("reject_older_than") String rejectOlderThan,
        @JsonProperty("reject_newer_than") String rejectNewerThan,
        @JsonProperty("max_global_series_per_tenant") int maxGlobalSeriesPerTenant,
        @JsonProperty("max_query_length") String maxQueryLength,
        @JsonProperty("max_query_lookback") String maxQueryLookback,
        @JsonProperty("max_flamegraph_nodes_default") int maxFlameGraphNodesDefault,
        @JsonProperty("max_flamegraph_nodes_max") int maxFlameGraphNodesMax,
        @JsonProperty("max_concurrent_queries") int maxConcurrentQueries,
        @JsonProperty("split_queries_by_interval") String splitQueriesByInterval,
        @JsonProperty("compactor_blocks_retention_period") String retentionPeriod) {

    public static final Limits DEFAULTS = new Limits(4, 2, 1024, 2048, 30, 4L << 20, 16_000, 1000, 65_535,
            "1h", "10m", 5000, "31d", "0s", 8192, 1_048_576, 32, "24h", "0s");

    /** These limits accepting profiles of any age and time (for backfills and tests). */
    public Limits withoutTimeWindow() {
        return new Limits(ingestionRateMb, ingestionBurstSizeMb, maxLabelNameLength, maxLabelValueLength, maxLabelNamesPerSeries,
                maxProfileSizeBytes, maxProfileStacktraceSamples, maxProfileStacktraceDepth, maxProfileSymbolValueLength, "0s", "0s",
                maxGlobalSeriesPerTenant, maxQueryLength, maxQueryLookback, maxFlameGraphNodesDefault, maxFlameGraphNodesMax,
                maxConcurrentQueries, splitQueriesByInterval, retentionPeriod);
    }

    public Duration rejectOlderThanDuration() {
        return ConfigType.parseDuration(rejectOlderThan);
    }

    public Duration rejectNewerThanDuration() {
        return ConfigType.parseDuration(rejectNewerThan);
    }

    public Duration maxQueryLengthDuration() {
        return ConfigType.parseDuration(maxQueryLength);
    }

    public Duration maxQueryLookbackDuration() {
        return ConfigType.parseDuration(maxQueryLookback);
    }

    public Duration splitQueriesByIntervalDuration() {
        return ConfigType.parseDuration(splitQueriesByInterval);
    }

    public Duration retentionPeriodDuration() {
        return ConfigType.parseDuration(retentionPeriod);
    }

    private static final Object[][] DOCS = {
        {"ingestion_rate_mb", ConfigType.DOUBLE, "Per-tenant ingestion rate limit in MB/s of uncompressed profiles (429 resource_exhausted beyond it)."},
        {"ingestion_burst_size_mb", ConfigType.DOUBLE, "Per-tenant ingestion burst in MB."},
        {"max_label_name_length", ConfigType.INT, "Longest label name accepted."},
        {"max_label_value_length", ConfigType.INT, "Longest label value accepted."},
        {"max_label_names_per_series", ConfigType.INT, "Most label names per series."},
        {"max_profile_size_bytes", ConfigType.LONG, "Largest profile accepted, after decompression (guards against gzip bombs)."},
        {"max_profile_stacktrace_samples", ConfigType.INT, "Most samples per profile."},
        {"max_profile_stacktrace_depth", ConfigType.INT, "Deepest stack kept; deeper stacks are truncated to their leaf-most frames, not rejected."},
        {"max_profile_symbol_value_length", ConfigType.INT, "Longest symbol (function name, file name) kept, in UTF-8 bytes; longer ones are truncated, not rejected."},
        {"reject_older_than", ConfigType.DURATION, "Profiles older than this are rejected (0 disables)."},
        {"reject_newer_than", ConfigType.DURATION, "Profiles further in the future than this are rejected (0 disables)."},
        {"max_global_series_per_tenant", ConfigType.INT, "Most active series per tenant across the cluster (0 disables)."},
        {"max_query_length", ConfigType.DURATION, "Longest query time range (0 disables)."},
        {"max_query_lookback", ConfigType.DURATION, "How far back queries may look (0 disables)."},
        {"max_flamegraph_nodes_default", ConfigType.INT, "Flame graph node limit when a query sets none."},
        {"max_flamegraph_nodes_max", ConfigType.INT, "Largest max_nodes a query may ask for."},
        {"max_concurrent_queries", ConfigType.INT, "Most sub-queries of one tenant running on the queriers at once (each part of a split query counts); more wait in the query-frontend's fair queue (0 disables)."},
        {"split_queries_by_interval", ConfigType.DURATION, "The query-frontend splits longer queries into parts of this length (0 disables)."},
        {"compactor_blocks_retention_period", ConfigType.DURATION, "Blocks older than this are deleted by the compactor (0 keeps data forever)."},
    };

    /** The {@code limits.*} config keys, with the defaults above. */
    public static List<ConfigKey> keys() {
        List<ConfigKey> out = new ArrayList<>();
        Object[] defaults = {DEFAULTS.ingestionRateMb, DEFAULTS.ingestionBurstSizeMb, DEFAULTS.maxLabelNameLength,
            DEFAULTS.maxLabelValueLength, DEFAULTS.maxLabelNamesPerSeries, DEFAULTS.maxProfileSizeBytes,
            DEFAULTS.maxProfileStacktraceSamples, DEFAULTS.maxProfileStacktraceDepth, DEFAULTS.maxProfileSymbolValueLength,
            ConfigType.parseDuration(DEFAULTS.rejectOlderThan), ConfigType.parseDuration(DEFAULTS.rejectNewerThan),
            DEFAULTS.maxGlobalSeriesPerTenant, ConfigType.parseDuration(DEFAULTS.maxQueryLength),
            ConfigType.parseDuration(DEFAULTS.maxQueryLookback), DEFAULTS.maxFlameGraphNodesDefault,
            DEFAULTS.maxFlameGraphNodesMax, DEFAULTS.maxConcurrentQueries, ConfigType.parseDuration(DEFAULTS.splitQueriesByInterval),
            ConfigType.parseDuration(DEFAULTS.retentionPeriod)};
        for (int i = 0; i < DOCS.length; i++) {
            out.add(ConfigKey.of("limits." + DOCS[i][0], (ConfigType) DOCS[i][1], defaults[i], (String) DOCS[i][2]));
        }
        return out;
    }

    /** The configured defaults for every tenant. */
    public static Limits from(Config c) {
        return new Limits(
                c.getDouble("limits.ingestion_rate_mb"),
                c.getDouble("limits.ingestion_burst_size_mb"),
                c.getInt("limits.max_label_name_length"),
                c.getInt("limits.max_label_value_length"),
                c.getInt("limits.max_label_names_per_series"),
                c.getLong("limits.max_profile_size_bytes"),
                c.getInt("limits.max_profile_stacktrace_samples"),
                c.getInt("limits.max_profile_stacktrace_depth"),
                c.getInt("limits.max_profile_symbol_value_length"),
                ConfigType.formatDuration(c.getDuration("limits.reject_older_than")),
                ConfigType.formatDuration(c.getDuration("limits.reject_newer_than")),
                c.getInt("limits.max_global_series_per_tenant"),
                ConfigType.formatDuration(c.getDuration("limits.max_query_length")),
                ConfigType.formatDuration(c.getDuration("limits.max_query_lookback")),
                c.getInt("limits.max_flamegraph_nodes_default"),
                c.getInt("limits.max_flamegraph_nodes_max"),
                c.getInt("limits.max_concurrent_queries"),
                ConfigType.formatDuration(c.getDuration("limits.split_queries_by_interval")),
                ConfigType.formatDuration(c.getDuration("limits.compactor_blocks_retention_period")));
    }
}
