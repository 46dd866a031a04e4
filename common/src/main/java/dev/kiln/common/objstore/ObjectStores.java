package dev.kiln.common.objstore;

/** Creates the configured {@link ObjectStore}. */
public final class ObjectStores {
    private ObjectStores() {
    }

    /** Opens the store that {@code config} selects; the caller closes it. */
    public static ObjectStore create(StorageConfig config) {
        return switch (config.backend()) {
            case FILESYSTEM -> new FilesystemObjectStore(config.filesystemDir());
            case S3 -> new S3ObjectStore(config.s3());
        };
    }
}
