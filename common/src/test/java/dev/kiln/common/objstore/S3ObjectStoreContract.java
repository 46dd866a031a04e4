package dev.kiln.common.objstore;

import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.services.s3.S3Client;

/** Runs the {@link ObjectStoreContract} against an S3 server, each test in a bucket of its own. */
abstract class S3ObjectStoreContract extends ObjectStoreContract {
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    /** The current test's bucket. */
    String bucket;

    /** Settings for {@code bucket} on the server under test, with the contract's part size. */
    abstract S3Config config(String bucket);

    @Override
    ObjectStore newStore() {
        bucket = "kiln-test-" + BUCKETS.incrementAndGet();
        S3Config config = config(bucket);
        try (S3Client admin = S3ObjectStore.buildClient(config)) {
            admin.createBucket(b -> b.bucket(bucket));
        }
        return new S3ObjectStore(config);
    }
}
