package dev.kiln.common.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Effective configuration: every registered key with its value from flags, else the YAML file,
 * else the default. Components read typed values by path and build their config records.
 */
public final class Config {
    static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    private final Map<String, ConfigKey> keys;
    private final Map<String, Object> values;

    Config(Map<String, ConfigKey> keys, Map<String, Object> values) {
        this.keys = keys;
        this.values = values;
    }

    /** A config of defaults only, with some overrides: convenient for tests. */
    public static Config defaults(Collection<ConfigKey> keys, Map<String, ?> overrides) {
        ConfigLoader loader = new ConfigLoader(keys);
        Map<String, Object> v = new LinkedHashMap<>();
        overrides.forEach((k, val) -> v.put(k, val));
        return loader.build(v);
    }

    public Collection<ConfigKey> keys() {
        return keys.values();
    }

    public Object get(String path) {
        if (!keys.containsKey(path)) {
            throw new IllegalArgumentException("unregistered config key " + path);
        }
        return values.get(path);
    }

    public String getString(String path) {
        return (String) get(path);
    }

    public int getInt(String path) {
        return ((Number) get(path)).intValue();
    }

    public long getLong(String path) {
        return ((Number) get(path)).longValue();
    }

    public double getDouble(String path) {
        return ((Number) get(path)).doubleValue();
    }

    public boolean getBoolean(String path) {
        return (Boolean) get(path);
    }

    public Duration getDuration(String path) {
        return (Duration) get(path);
    }

    @SuppressWarnings("unchecked")
    public List<String> getStringList(String path) {
        return (List<String>) get(path);
    }

    /** Binds a structured value to {@code type}; unknown fields are an error naming them. */
    public <T> T getObject(String path, Class<T> type) {
        Object v = get(path);
        JsonNode node = v instanceof JsonNode n ? n : JSON.valueToTree(v);
        try {
            return JSON.treeToValue(node, type);
        } catch (Exception e) {
            throw new ConfigException(path + ": " + e.getMessage().split("\n")[0]);
        }
    }

    /** The effective configuration as YAML, secrets masked (for /api/v1/status/config). */
    public String toYaml(boolean onlyNonDefault) {
        ObjectNode root = JSON.createObjectNode();
        for (ConfigKey k : keys.values()) {
            Object v = values.get(k.path());
            if (onlyNonDefault && java.util.Objects.equals(v, k.defaultValue())) {
                continue;
            }
            ObjectNode parent = root;
            String[] parts = k.path().split("\\.");
            for (int i = 0; i < parts.length - 1; i++) {
                JsonNode child = parent.get(parts[i]);
                if (!(child instanceof ObjectNode)) {
                    child = parent.putObject(parts[i]);
                }
                parent = (ObjectNode) child;
            }
            String leaf = parts[parts.length - 1];
            if (k.secret() && v != null && !String.valueOf(v).isEmpty()) {
                parent.put(leaf, "********");
            } else if (v instanceof JsonNode n) {
                parent.set(leaf, n);
            } else if (v instanceof Duration || v instanceof List) {
                parent.put(leaf, ConfigType.format(v));
            } else {
                parent.set(leaf, JSON.valueToTree(v));
            }
        }
        try {
            return new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)).writeValueAsString(root);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
