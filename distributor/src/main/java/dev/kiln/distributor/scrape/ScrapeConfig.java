package dev.kiln.distributor.scrape;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.kiln.common.KilnException;
import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import dev.kiln.common.model.LabelNames;
import dev.kiln.common.model.Labels;
import dev.kiln.common.tenant.Tenants;
import dev.kiln.distributor.SeriesLabels;
import dev.kiln.proto.types.v1.LabelPair;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One entry of {@code scrape_configs}: pprof HTTP endpoints Kiln pulls profiles from, so that
 * applications exposing Go's {@code net/http/pprof} (or anything serving pprof that way) need no
 * agent. Modelled on Grafana Alloy's {@code pyroscope.scrape} with Prometheus-style YAML:
 *
 * <pre>
 * scrape_configs:
 *   - job_name: checkout            # required; also the service_name unless a label sets one
 *     scrape_interval: 15s          # default 15s
 *     scrape_timeout: 10s           # default 10s, plus the profiling time of delta profiles
 *     scheme: http                  # http (default) or https
 *     tenant_id: anonymous          # tenant the profiles are stored for (default anonymous)
 *     static_configs:
 *       - targets: [checkout-1:6060, checkout-2:6060]
 *         labels: {env: prod}
 *     profiles:                     # merged over the defaults below
 *       mutex: {enabled: false}
 *       godeltaprof_memory: {enabled: true}
 *       fgprof: {path: /debug/fgprof, delta: true}
 * </pre>
 *
 * Default profiles: {@code process_cpu} ({@code /debug/pprof/profile}, a delta profile: the
 * target profiles for {@code seconds} = {@code delta_profiling_duration}, default the interval
 * minus one second), {@code memory} ({@code /debug/pprof/heap}), {@code mutex}
 * ({@code /debug/pprof/mutex}), {@code block} ({@code /debug/pprof/block}) and {@code goroutine}
 * ({@code /debug/pprof/goroutine}); {@code godeltaprof_memory}, {@code godeltaprof_mutex} and
 * {@code godeltaprof_block} ({@code /debug/pprof/delta_heap}, {@code delta_mutex},
 * {@code delta_block}) are known but off. Series labels: the static labels, {@code job},
 * {@code instance} (the target), {@code service_name} and {@code __name__} (the profile name).
 * Cumulative profiles (memory allocations, mutex, block) are sent as such and turned into deltas
 * by the ingesters; delta profiles are marked {@code __delta__="false"}.
 */
public record ScrapeConfig(
        @JsonProperty("job_name") String jobName,
        @JsonProperty("scrape_interval") String scrapeInterval,
        @JsonProperty("scrape_timeout") String scrapeTimeout,
        @JsonProperty("delta_profiling_duration") String deltaProfilingDuration,
        @JsonProperty("scheme") String scheme,
        @JsonProperty("tenant_id") String tenantId,
        @JsonProperty("static_configs") List<StaticConfig> staticConfigs,
        @JsonProperty("profiles") Map<String, ProfileEndpoint> profiles) {

    public static final String KEY = "scrape_configs";
    public static final List<ConfigKey> KEYS = List.of(ConfigKey.of(KEY, ConfigType.OBJECT, JsonNodeFactory.instance.arrayNode(),
            "Pull mode: pprof HTTP endpoints to scrape (job_name, scrape_interval, scrape_timeout, scheme, tenant_id, "
                    + "static_configs[{targets, labels}], profiles{name: {enabled, path, delta}}), as Alloy's pyroscope.scrape; "
                    + "see docs/deployment.md. YAML only."));

    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(15);
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /** Targets and the labels they share. */
    public record StaticConfig(@JsonProperty("targets") List<String> targets, @JsonProperty("labels") Map<String, String> labels) {}

    /**
     * One profile endpoint. Unset fields keep the default profile's values; {@code delta} means
     * the endpoint profiles for {@code seconds} and returns what happened meanwhile.
     */
    public record ProfileEndpoint(@JsonProperty("enabled") Boolean enabled, @JsonProperty("path") String path,
            @JsonProperty("delta") Boolean delta) {}

    static final Map<String, ProfileEndpoint> DEFAULT_PROFILES = defaults();

    private static Map<String, ProfileEndpoint> defaults() {
        Map<String, ProfileEndpoint> m = new LinkedHashMap<>();
        m.put("process_cpu", new ProfileEndpoint(true, "/debug/pprof/profile", true));
        m.put("memory", new ProfileEndpoint(true, "/debug/pprof/heap", false));
        m.put("mutex", new ProfileEndpoint(true, "/debug/pprof/mutex", false));
        m.put("block", new ProfileEndpoint(true, "/debug/pprof/block", false));
        m.put("goroutine", new ProfileEndpoint(true, "/debug/pprof/goroutine", false));
        m.put("godeltaprof_memory", new ProfileEndpoint(false, "/debug/pprof/delta_heap", false));
        m.put("godeltaprof_mutex", new ProfileEndpoint(false, "/debug/pprof/delta_mutex", false));
        m.put("godeltaprof_block", new ProfileEndpoint(false, "/debug/pprof/delta_block", false));
        return m;
    }

    /** Every (target, profile) to scrape, from the {@code scrape_configs} key. */
    public static List<ScrapeTarget> targets(Config config) {
        ScrapeConfig[] configs = config.getObject(KEY, ScrapeConfig[].class);
        List<ScrapeTarget> out = new ArrayList<>();
        for (int i = 0; i < configs.length; i++) {
            try {
                out.addAll(configs[i].targets());
            } catch (ConfigException e) {
                throw new ConfigException(KEY + "[" + i + "]: " + e.getMessage());
            }
        }
        return out;
    }

    /** This job's (target, profile) pairs, validated. */
    List<ScrapeTarget> targets() {
        if (jobName == null || jobName.isBlank()) {
            throw new ConfigException("job_name is required");
        }
        Duration interval = duration("scrape_interval", scrapeInterval, DEFAULT_INTERVAL);
        Duration timeout = duration("scrape_timeout", scrapeTimeout, DEFAULT_TIMEOUT);
        Duration profiling = duration("delta_profiling_duration", deltaProfilingDuration, interval.minusSeconds(1));
        if (interval.isZero() || interval.isNegative() || timeout.isZero() || timeout.isNegative()) {
            throw new ConfigException("scrape_interval and scrape_timeout must be positive");
        }
        String s = scheme == null ? "http" : scheme;
        if (!s.equals("http") && !s.equals("https")) {
            throw new ConfigException("scheme must be http or https, got '" + s + "'");
        }
        String tenant = tenantId == null || tenantId.isBlank() ? Tenants.ANONYMOUS : tenantId;
        try {
            Tenants.validate(tenant);
        } catch (KilnException e) {
            throw new ConfigException("tenant_id: " + e.getMessage());
        }
        Map<String, ProfileEndpoint> endpoints = endpoints();
        for (Map.Entry<String, ProfileEndpoint> e : endpoints.entrySet()) {
            if (e.getValue().delta && (profiling.getSeconds() < 1 || profiling.compareTo(interval.minusSeconds(1)) > 0)) {
                throw new ConfigException("profile " + e.getKey() + " is a delta profile: delta_profiling_duration (default "
                        + "scrape_interval - 1s) must be at least 1s and at most scrape_interval - 1s");
            }
        }
        if (staticConfigs == null || staticConfigs.isEmpty()) {
            throw new ConfigException("static_configs with at least one target is required");
        }
        List<ScrapeTarget> out = new ArrayList<>();
        for (StaticConfig sc : staticConfigs) {
            if (sc.targets() == null || sc.targets().isEmpty()) {
                throw new ConfigException("static_configs entry without targets");
            }
            for (String target : sc.targets()) {
                URI base = base(s, target);
                for (Map.Entry<String, ProfileEndpoint> e : endpoints.entrySet()) {
                    ProfileEndpoint p = e.getValue();
                    String query = p.delta ? "?seconds=" + profiling.getSeconds() : "";
                    URI url;
                    try {
                        url = base.resolve(p.path + query);
                    } catch (IllegalArgumentException ex) {
                        throw new ConfigException("profile " + e.getKey() + ": invalid path '" + p.path + "'");
                    }
                    Duration requestTimeout = p.delta ? timeout.plus(profiling) : timeout;
                    out.add(new ScrapeTarget(jobName, tenant, url, labels(sc, target, e.getKey(), p), interval, requestTimeout));
                }
            }
        }
        return out;
    }

    /** The default profiles with this job's changes; only the enabled ones. */
    private Map<String, ProfileEndpoint> endpoints() {
        Map<String, ProfileEndpoint> merged = new LinkedHashMap<>(DEFAULT_PROFILES);
        if (profiles != null) {
            for (Map.Entry<String, ProfileEndpoint> e : profiles.entrySet()) {
                ProfileEndpoint given = e.getValue() == null ? new ProfileEndpoint(null, null, null) : e.getValue();
                ProfileEndpoint base = merged.get(e.getKey());
                String path = given.path != null ? given.path : base == null ? null : base.path;
                if (path == null || !path.startsWith("/")) {
                    throw new ConfigException("profile " + e.getKey() + " needs a path starting with /");
                }
                boolean enabled = given.enabled != null ? given.enabled : true;
                boolean delta = given.delta != null ? given.delta : base != null && base.delta;
                merged.put(e.getKey(), new ProfileEndpoint(enabled, path, delta));
            }
        }
        merged.values().removeIf(p -> !p.enabled);
        return merged;
    }

    private static URI base(String scheme, String target) {
        if (target == null || target.isBlank() || target.contains("/")) {
            throw new ConfigException("target '" + target + "' must be host:port");
        }
        try {
            URI uri = URI.create(scheme + "://" + target.strip());
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("no host");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new ConfigException("target '" + target + "' must be host:port (" + e.getMessage() + ")");
        }
    }

    private Labels labels(StaticConfig sc, String target, String profile, ProfileEndpoint p) {
        Map<String, String> m = new TreeMap<>();
        if (sc.labels() != null) {
            m.putAll(sc.labels());
        }
        m.put("job", jobName);
        m.put("instance", target.strip());
        m.putIfAbsent(LabelNames.SERVICE_NAME, jobName);
        m.put(LabelNames.NAME, profile);
        if (p.delta || profile.startsWith("godeltaprof_")) {
            m.put(LabelNames.DELTA, "false");
        }
        List<LabelPair> pairs = new ArrayList<>();
        m.forEach((k, v) -> pairs.add(LabelPair.newBuilder().setName(k).setValue(v).build()));
        try {
            return SeriesLabels.normalize(pairs);
        } catch (KilnException e) {
            throw new ConfigException("labels: " + e.getMessage());
        }
    }

    private static Duration duration(String field, String value, Duration dflt) {
        if (value == null || value.isBlank()) {
            return dflt;
        }
        try {
            return ConfigType.parseDuration(value.strip());
        } catch (NumberFormatException e) {
            throw new ConfigException(field + ": invalid duration '" + value + "'");
        }
    }
}
