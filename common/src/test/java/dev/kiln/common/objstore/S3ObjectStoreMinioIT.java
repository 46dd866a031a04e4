package dev.kiln.common.objstore;

import java.net.URI;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The object-store contract against a real MinIO server in Docker. Skipped (reported as such) where Docker is
 * unavailable; S3ObjectStoreIT covers the same contract with S3Proxy everywhere.
 */
@Testcontainers(disabledWithoutDocker = true)
class S3ObjectStoreMinioIT extends S3ObjectStoreContract {

    @Container
    static final MinIOContainer MINIO = new MinIOContainer("minio/minio:RELEASE.2023-09-04T19-57-37Z");

    @Override
    S3Config config(String bucket) {
        String endpoint = URI.create(MINIO.getS3URL()).getAuthority();
        return new S3Config(endpoint, bucket, "us-east-1", MINIO.getUserName(), MINIO.getPassword(), true, true,
                TEST_PART_SIZE, 4, "");
    }
}
