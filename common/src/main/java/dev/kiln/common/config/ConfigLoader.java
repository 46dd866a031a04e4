package dev.kiln.common.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads configuration as Pyroscope does: defaults, then the YAML file given by
 * {@code -config.file} (with {@code ${VAR}} / {@code ${VAR:default}} expansion when
 * {@code -config.expand-env} is set), then command-line flags. Unknown YAML keys and unknown flags
 * are errors that name them.
 */
public final class ConfigLoader {
    public static final String CONFIG_FILE_FLAG = "config.file";
    public static final String EXPAND_ENV_FLAG = "config.expand-env";
    private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?}");

    private final Map<String, ConfigKey> byPath = new LinkedHashMap<>();
    private final Map<String, ConfigKey> byFlag = new LinkedHashMap<>();

    private final List<String> ignoredSections;

    public ConfigLoader(Collection<ConfigKey> keys) {
        this(keys, List.of());
    }

    /**
     * @param ignoredSections YAML path prefixes whose unknown keys are skipped instead of rejected:
     *     the sections of components this process's jar does not contain, so every component can
     *     read the same kiln.yaml
     */
    public ConfigLoader(Collection<ConfigKey> keys, List<String> ignoredSections) {
        this.ignoredSections = List.copyOf(ignoredSections);
        for (ConfigKey k : keys) {
            if (byPath.put(k.path(), k) != null) {
                throw new IllegalStateException("config key registered twice: " + k.path());
            }
            if (byFlag.put(k.flag(), k) != null) {
                throw new IllegalStateException("config flag registered twice: " + k.flag());
            }
        }
    }

    public Config load(String[] args, Function<String, String> env) {
        Map<String, String> flags = new LinkedHashMap<>();
        String file = null;
        boolean expandEnv = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("-") || a.equals("-") || a.equals("--")) {
                throw new ConfigException("unexpected argument '" + a + "': flags look like -name=value");
            }
            String body = a.startsWith("--") ? a.substring(2) : a.substring(1);
            String name;
            String value;
            int eq = body.indexOf('=');
            if (eq >= 0) {
                name = body.substring(0, eq);
                value = body.substring(eq + 1);
            } else {
                name = body;
                ConfigKey k = byFlag.get(name);
                boolean isBool = name.equals(EXPAND_ENV_FLAG) || (k != null && k.type() == ConfigType.BOOLEAN);
                if (isBool) {
                    value = "true";
                } else if (i + 1 < args.length) {
                    value = args[++i];
                } else {
                    throw new ConfigException("flag -" + name + " needs a value");
                }
            }
            if (name.equals(CONFIG_FILE_FLAG)) {
                file = value;
            } else if (name.equals(EXPAND_ENV_FLAG)) {
                expandEnv = (Boolean) ConfigType.BOOLEAN.parse("-" + name, value);
            } else {
                if (!byFlag.containsKey(name)) {
                    throw new ConfigException("unknown flag -" + name);
                }
                flags.put(name, value);
            }
        }
        Map<String, Object> values = new LinkedHashMap<>();
        if (file != null) {
            values.putAll(readYaml(Path.of(file), expandEnv, env));
        }
        for (Map.Entry<String, String> f : flags.entrySet()) {
            ConfigKey k = byFlag.get(f.getKey());
            values.put(k.path(), k.type().parse("-" + f.getKey(), f.getValue()));
        }
        return build(values);
    }

    Config build(Map<String, Object> explicit) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (ConfigKey k : byPath.values()) {
            values.put(k.path(), explicit.containsKey(k.path()) ? explicit.get(k.path()) : k.defaultValue());
        }
        for (String p : explicit.keySet()) {
            if (!byPath.containsKey(p)) {
                throw new ConfigException("unknown configuration key " + p);
            }
        }
        return new Config(byPath, values);
    }

    private Map<String, Object> readYaml(Path file, boolean expandEnv, Function<String, String> env) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        if (expandEnv) {
            text = expand(text, env);
        }
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(text);
        } catch (IOException e) {
            throw new ConfigException("config file " + file + " is not valid YAML: " + e.getMessage().split("\n")[0]);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        if (root == null || root.isNull() || root.isMissingNode()) {
            return out;
        }
        if (!root.isObject()) {
            throw new ConfigException("config file " + file + " must hold a YAML mapping at the top level");
        }
        flatten("", root, out, file);
        return out;
    }

    private void flatten(String prefix, JsonNode node, Map<String, Object> out, Path file) {
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String path = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            ConfigKey k = byPath.get(path);
            if (k != null) {
                out.put(path, k.type().fromNode(path, e.getValue()));
            } else if (e.getValue().isObject() && isPrefix(path)) {
                flatten(path, e.getValue(), out, file);
            } else if (isIgnored(path)) {
                continue;
            } else {
                throw new ConfigException("unknown configuration key " + path + " in " + file);
            }
        }
    }

    private boolean isIgnored(String path) {
        for (String section : ignoredSections) {
            if (path.startsWith(section) || section.startsWith(path + ".")) {
                return true;
            }
        }
        return false;
    }

    private boolean isPrefix(String path) {
        String p = path + ".";
        for (String k : byPath.keySet()) {
            if (k.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    static String expand(String text, Function<String, String> env) {
        Matcher m = ENV.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String v = env.apply(m.group(1));
            if (v == null) {
                v = m.group(2) != null ? m.group(2) : "";
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** All registered keys, for documentation. */
    public List<ConfigKey> keys() {
        return new ArrayList<>(byPath.values());
    }
}
