package dev.kiln.common.objstore;

/**
 * A storage operation failed (I/O error, S3 error response, network failure after the SDK's retries).
 * The message names the operation and the location, e.g. {@code s3://bucket/key} or the file path.
 */
public class ObjectStoreException extends RuntimeException {
    public ObjectStoreException(String message) {
        super(message);
    }

    public ObjectStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    /** For expected conditions, which need no stack trace. */
    protected ObjectStoreException(String message, boolean writableStackTrace) {
        super(message, null, true, writableStackTrace);
    }
}
