package dev.kiln.common.config;

/** A configuration error; the message names the offending key, flag or file. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message, null, false, false);
    }
}
