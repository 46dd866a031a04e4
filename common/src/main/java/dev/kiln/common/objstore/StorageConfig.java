package dev.kiln.common.objstore;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
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

    public static final List<ConfigKey> KEYS = List.of(
            ConfigKey.of("storage.backend", ConfigType.STRING, "filesystem", "Object storage backend for blocks: filesystem or s3."),
            ConfigKey.of("storage.filesystem.dir", ConfigType.STRING, DEFAULT_FILESYSTEM_DIR.toString(),
                    "Root directory of the filesystem backend."),
            ConfigKey.of("storage.s3.endpoint", ConfigType.STRING, "",
                    "host[:port] of an S3-compatible service without a scheme; empty uses AWS's regional endpoint."),
            ConfigKey.of("storage.s3.bucket_name", ConfigType.STRING, "", "Bucket holding the blocks; required for the s3 backend. It must exist."),
            ConfigKey.of("storage.s3.region", ConfigType.STRING, S3Config.DEFAULT_REGION, "S3 region."),
            ConfigKey.of("storage.s3.access_key_id", ConfigType.STRING, "",
                    "Static access key; when both keys are empty the AWS default credential chain is used."),
            ConfigKey.of("storage.s3.secret_access_key", ConfigType.STRING, "", "Static secret key.").asSecret(),
            ConfigKey.of("storage.s3.insecure", ConfigType.BOOLEAN, false, "Use plain HTTP to the endpoint."),
            ConfigKey.of("storage.s3.force_path_style", ConfigType.BOOLEAN, false,
                    "Address objects as endpoint/bucket/key (MinIO, S3Proxy, Ceph need it)."),
            ConfigKey.of("storage.s3.part_size", ConfigType.LONG, S3Config.DEFAULT_PART_SIZE,
                    "Bytes per multipart-upload part, 5 MiB to 5 GiB."),
            ConfigKey.of("storage.s3.upload_concurrency", ConfigType.INT, S3Config.DEFAULT_UPLOAD_CONCURRENCY,
                    "Parts uploaded in parallel per store."),
            ConfigKey.of("storage.s3.prefix", ConfigType.STRING, "", "Directory inside the bucket holding all keys."));

    /** Reads {@code storage.*}; an S3 section is only validated when the backend is s3. */
    public static StorageConfig from(Config c) {
        try {
            Backend backend = Backend.of(c.getString("storage.backend"));
            S3Config s3 = backend != Backend.S3 ? null : new S3Config(
                    c.getString("storage.s3.endpoint"),
                    c.getString("storage.s3.bucket_name"),
                    c.getString("storage.s3.region"),
                    c.getString("storage.s3.access_key_id"),
                    c.getString("storage.s3.secret_access_key"),
                    c.getBoolean("storage.s3.insecure"),
                    c.getBoolean("storage.s3.force_path_style"),
                    c.getLong("storage.s3.part_size"),
                    c.getInt("storage.s3.upload_concurrency"),
                    c.getString("storage.s3.prefix"));
            return new StorageConfig(backend, Path.of(c.getString("storage.filesystem.dir")), s3);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

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
