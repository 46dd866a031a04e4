package dev.kiln.common.objstore;

/** The requested object does not exist. Expected during normal operation, so it carries no stack trace. */
public class NoSuchObjectException extends ObjectStoreException {
    private final String key;

    public NoSuchObjectException(String key, String location) {
        super("object not found: " + location, false);
        this.key = key;
    }

    /** The key as the caller passed it (without any backend prefix). */
    public String key() {
        return key;
    }
}
