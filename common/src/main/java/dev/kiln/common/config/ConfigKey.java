package dev.kiln.common.config;

import java.util.Objects;

/**
 * One configuration setting: its YAML path (Pyroscope's spelling, e.g.
 * {@code server.http_listen_port}), its command-line flag (derived from the path as
 * {@code -server.http-listen-port} unless given), type, default and description. Every key is
 * documented in the generated configuration reference.
 */
public record ConfigKey(String path, ConfigType type, Object defaultValue, String description, String flag, boolean secret) {

    public ConfigKey {
        Objects.requireNonNull(path);
        Objects.requireNonNull(type);
        Objects.requireNonNull(description);
        if (flag == null) {
            flag = path.replace('_', '-');
        }
    }

    public static ConfigKey of(String path, ConfigType type, Object defaultValue, String description) {
        return new ConfigKey(path, type, defaultValue, description, null, false);
    }

    public ConfigKey withFlag(String flagName) {
        return new ConfigKey(path, type, defaultValue, description, flagName, secret);
    }

    public ConfigKey asSecret() {
        return new ConfigKey(path, type, defaultValue, description, flag, true);
    }
}
