package dev.kiln.common.objstore;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Where Kiln keeps blocks ({@code storage.*}).
 *
 * @param backend       {@code storage.backend}: {@code filesystem} (default) or {@code s3}; parse configured
 *                      text with {@link Backend#of(String)}.
 * @param filesystemDir {@code storage.filesystem.dir}: root directory of the filesystem backend. Default
 *                      {@code ./data/storage}, beside the other local state under {@code ./data}.
 * @param s3            {@code storage.s3.*}: required when the backend is {@code s3}, ignored otherwise.
 */
public record StorageConfig(Backend backend, Path filesystemDir, S3Config s3) {

    public static final Path DEFAULT_FILESYSTEM_DIR = Path.of(".", "data", "storage");

    /** The supported backends, named as in {@code storage.backend}. */
    public enum Backend {
        FILESYSTEM,
        S3;

        /** The configuration value, e.g. {@code filesystem}. */
        public String configValue() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses a {@code storage.backend} value; blank means the default, {@code filesystem}. */
        public static Backend of(String value) {
            if (value == null || value.isBlank()) {
                return FILESYSTEM;
            }
            for (Backend backend : values()) {
                if (backend.configValue().equals(value.strip())) {
                    return backend;
                }
            }
            throw new IllegalArgumentException("unknown storage.backend \"" + value + "\"; supported: "
                    + Arrays.stream(values()).map(Backend::configValue).collect(Collectors.joining(", ")));
        }
    }

    public StorageConfig {
        if (backend == null) {
            backend = Backend.FILESYSTEM;
        }
        if (filesystemDir == null) {
            filesystemDir = DEFAULT_FILESYSTEM_DIR;
        }
        if (backend == Backend.S3 && s3 == null) {
            throw new IllegalArgumentException(
                    "storage.backend is s3 but storage.s3 is not configured (storage.s3.bucket_name is required)");
        }
    }

    /** The default: the filesystem backend in {@code ./data/storage}. */
    public static StorageConfig defaults() {
        return new StorageConfig(Backend.FILESYSTEM, DEFAULT_FILESYSTEM_DIR, null);
    }

    public static StorageConfig filesystem(Path dir) {
        return new StorageConfig(Backend.FILESYSTEM, dir, null);
    }

    public static StorageConfig s3(S3Config s3) {
        return new StorageConfig(Backend.S3, null, s3);
    }
}
