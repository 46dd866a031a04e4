package dev.kiln.common.limits;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.common.util.concurrent.AbstractScheduledService;
import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-tenant limits: the configured defaults, overridden per tenant by a runtime file that is
 * re-read while the process runs (Pyroscope's {@code -runtime-config.file}):
 *
 * <pre>
 * overrides:
 *   team-a:
 *     ingestion_rate_mb: 20
 *     max_query_length: 7d
 * </pre>
 *
 * A file that fails to parse at start stops the process; a bad edit later is logged and the last
 * good overrides stay in force, so a typo never takes limits away.
 */
public final class RuntimeOverrides extends AbstractScheduledService implements TenantLimits {
    private static final Logger log = LoggerFactory.getLogger(RuntimeOverrides.class);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public static final List<ConfigKey> KEYS = List.of(
            ConfigKey.of("runtime_config.file", ConfigType.STRING, "",
                    "YAML file with per-tenant limit overrides under `overrides: {<tenant>: {<limit>: value}}`; re-read while running. Empty: no overrides."),
            ConfigKey.of("runtime_config.period", ConfigType.DURATION, Duration.ofSeconds(10), "How often the runtime config file is checked for changes."));

    private final Limits defaults;
    private final Path file;
    private final Duration period;
    private volatile Map<String, Limits> overrides = Map.of();
    private String loadedText;

    public RuntimeOverrides(Limits defaults, Path fileOrNull, Duration period) {
        this.defaults = defaults;
        this.file = fileOrNull;
        this.period = period;
        if (file != null) {
            loadedText = read();
            overrides = parse(loadedText);
        }
    }

    public static RuntimeOverrides from(Config c, Limits defaults) {
        String f = c.getString("runtime_config.file");
        return new RuntimeOverrides(defaults, f.isBlank() ? null : Path.of(f), c.getDuration("runtime_config.period"));
    }

    @Override
    public Limits forTenant(String tenant) {
        return overrides.getOrDefault(tenant, defaults);
    }

    /** Re-reads the file if it changed; returns whether new overrides took effect. */
    public synchronized boolean reload() {
        if (file == null) {
            return false;
        }
        try {
            String text = read();
            // Compared by content: small files, and mtimes can repeat within one clock tick.
            if (text.equals(loadedText)) {
                return false;
            }
            overrides = parse(text);
            loadedText = text;
            log.atInfo().addKeyValue("file", file).addKeyValue("tenants", overrides.size()).log("runtime overrides reloaded");
            return true;
        } catch (ConfigException e) {
            log.atWarn().addKeyValue("file", file).addKeyValue("err", e.getMessage()).log("runtime overrides not reloaded; keeping the previous ones");
            return false;
        }
    }

    private String read() {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("runtime config file " + file + " does not exist (runtime_config.file)");
        } catch (IOException e) {
            throw new ConfigException("cannot read runtime config file " + file + ": " + e.getMessage());
        }
    }

    private Map<String, Limits> parse(String text) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (IOException e) {
            throw new ConfigException("runtime config file " + file + " is not valid YAML: " + e.getMessage().split("\n")[0]);
        }
        Map<String, Limits> out = new HashMap<>();
        if (root == null || root.isMissingNode() || root.isNull()) {
            return out;
        }
        Iterator<String> top = root.fieldNames();
        while (top.hasNext()) {
            String k = top.next();
            if (!k.equals("overrides")) {
                throw new ConfigException("unknown key '" + k + "' in runtime config file " + file + " (expected: overrides)");
            }
        }
        JsonNode ov = root.path("overrides");
        Iterator<Map.Entry<String, JsonNode>> tenants = ov.fields();
        JsonNode base = YAML.valueToTree(defaults);
        while (tenants.hasNext()) {
            Map.Entry<String, JsonNode> t = tenants.next();
            if (!t.getValue().isObject()) {
                throw new ConfigException("overrides." + t.getKey() + " in " + file + " must be a mapping of limit names to values");
            }
            ObjectNode merged = base.deepCopy();
            t.getValue().fields().forEachRemaining(e -> merged.set(e.getKey(), e.getValue()));
            try {
                Limits l = YAML.treeToValue(merged, Limits.class);
                validate(l, t.getKey());
                out.put(t.getKey(), l);
            } catch (IOException e) {
                throw new ConfigException("overrides." + t.getKey() + " in " + file + ": " + e.getMessage().split("\n")[0]);
            }
        }
        return out;
    }

    /** Duration-valued limits are kept as text; check they parse now rather than at query time. */
    private void validate(Limits l, String tenant) {
        try {
            l.rejectOlderThanDuration();
            l.rejectNewerThanDuration();
            l.maxQueryLengthDuration();
            l.maxQueryLookbackDuration();
            l.splitQueriesByIntervalDuration();
            l.retentionPeriodDuration();
        } catch (RuntimeException e) {
            throw new ConfigException("overrides." + tenant + " in " + file + ": " + e.getMessage());
        }
    }

    @Override
    protected void runOneIteration() {
        reload();
    }

    @Override
    protected Scheduler scheduler() {
        long ms = Math.max(100, period.toMillis());
        return Scheduler.newFixedDelaySchedule(ms, ms, TimeUnit.MILLISECONDS);
    }
}
