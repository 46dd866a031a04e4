package dev.kiln.common.ring.kv;

/** The key-value store could not be reached or did not answer in time. */
public class KvStoreException extends RuntimeException {

    public KvStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public KvStoreException(String message) {
        super(message);
    }
}
