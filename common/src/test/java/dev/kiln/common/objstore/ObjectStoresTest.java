package dev.kiln.common.objstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ObjectStoresTest {
    @TempDir
    Path tempDir;

    @Test
    void theDefaultIsTheFilesystemBackendInDataStorage() {
        StorageConfig config = StorageConfig.defaults();

        assertEquals(StorageConfig.Backend.FILESYSTEM, config.backend());
        assertEquals(Path.of("./data/storage"), config.filesystemDir());
        assertEquals(config, new StorageConfig(null, null, null));
    }

    @Test
    void createsAFilesystemStoreInTheConfiguredDirectory() throws Exception {
        try (ObjectStore store = ObjectStores.create(StorageConfig.filesystem(tempDir.resolve("blocks")))) {
            FilesystemObjectStore filesystem = assertInstanceOf(FilesystemObjectStore.class, store);
            assertEquals(tempDir.resolve("blocks").toRealPath(), filesystem.root());
        }
    }

    @Test
    void createsAnS3StoreWithTheGivenSettings() {
        S3Config s3 = S3Config.forBucket("profiles");

        try (ObjectStore store = ObjectStores.create(StorageConfig.s3(s3))) {
            S3ObjectStore s3Store = assertInstanceOf(S3ObjectStore.class, store);
            assertEquals(s3, s3Store.config());
            assertEquals("S3ObjectStore[s3://profiles/]", s3Store.toString());
        }
    }

    @Test
    void backendNamesAreParsedFromConfiguration() {
        assertEquals(StorageConfig.Backend.FILESYSTEM, StorageConfig.Backend.of("filesystem"));
        assertEquals(StorageConfig.Backend.S3, StorageConfig.Backend.of(" s3 "));
        assertEquals(StorageConfig.Backend.FILESYSTEM, StorageConfig.Backend.of(""));
        assertEquals(StorageConfig.Backend.FILESYSTEM, StorageConfig.Backend.of(null));
    }

    @Test
    void anUnknownBackendIsNamedInTheError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StorageConfig.Backend.of("gcs"));

        assertEquals("unknown storage.backend \"gcs\"; supported: filesystem, s3", e.getMessage());
    }

    @Test
    void theS3BackendNeedsS3Settings() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new StorageConfig(StorageConfig.Backend.S3, null, null));

        assertEquals("storage.backend is s3 but storage.s3 is not configured (storage.s3.bucket_name is required)",
                e.getMessage());
    }
}
