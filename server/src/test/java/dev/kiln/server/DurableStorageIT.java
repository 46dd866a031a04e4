package dev.kiln.server;

import static dev.kiln.server.KilnTestClient.enc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.testing.PprofBuilder;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesRequest;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesResponse;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.kiln.common.objstore.S3Config;
import dev.kiln.common.objstore.S3ObjectStore;
import java.net.URI;
import java.util.Arrays;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Profiles survive the trip head → Parquet block → object storage → store-gateway, are counted
 * once on either side of query_store_after, and are still there after a restart. Block windows
 * of one minute and a one-minute split make the whole life cycle happen within the test.
 */
class DurableStorageIT {
    static final String[] FAST = {"-pyroscopedb.max-block-duration=1m", "-pyroscopedb.flush-grace=0s",
        "-pyroscopedb.flush-check-period=200ms", "-querier.query-store-after=1m", "-store-gateway.sync-interval=200ms", "-querier.block-sync-interval=200ms"};

    static void push(KilnTestClient kiln, String app, long timeMs, long value) throws Exception {
        byte[] pprof = PprofBuilder.cpu().timeNanos(timeMs * 1_000_000L).stack(value, "main", "f" + value).bytes();
        HttpResponse<String> r = kiln.ingest("name=" + enc(app) + "&format=pprof&from=" + timeMs / 1000 + "&until=" + timeMs / 1000,
                "application/octet-stream", pprof);
        assertEquals(200, r.statusCode(), r.body());
    }

    static long total(KilnTestClient kiln, String app, long startMs, long endMs) throws Exception {
        HttpResponse<byte[]> r = kiln.connectProto("querier.v1.QuerierService/SelectMergeStacktraces",
                SelectMergeStacktracesRequest.newBuilder().setProfileTypeID(SingleProcessIT.CPU)
                        .setLabelSelector("{service_name=\"" + app + "\"}").setStart(startMs).setEnd(endMs).build());
        assertEquals(200, r.statusCode(), KilnTestClient.text(r));
        return SelectMergeStacktracesResponse.parseFrom(KilnTestClient.body(r)).getFlamegraph().getTotal();
    }

    /** Waits (bounded) until the total reaches {@code expected}: flushing and syncing run in the background. */
    static long awaitTotal(KilnTestClient kiln, String app, long startMs, long endMs, long expected) throws Exception {
        long t = 0;
        for (int i = 0; i < 150 && t != expected; i++) {
            t = total(kiln, app, startMs, endMs);
            if (t != expected) {
                Thread.sleep(100);
            }
        }
        return t;
    }

    /** Pushes old and recent profiles, checks both query paths, restarts, checks again. */
    static void lifecycle(Path dir, String... storageFlags) throws Exception {
        String[] flags = Stream.concat(Arrays.stream(FAST), Arrays.stream(storageFlags)).toArray(String[]::new);
        long now = System.currentTimeMillis();
        long old = now - 5 * 60_000L; // an ended window, on the store-gateway side of the split
        long from = now - 3_600_000L;
        long until = now + 60_000L;
        try (KilnTestClient kiln = KilnTestClient.start(dir, flags)) {
            push(kiln, "durable", old, 300);
            push(kiln, "durable", old + 1, 20);
            push(kiln, "durable", now, 4);
            // Only the store-gateway answers for the old range: this total means the block was
            // flushed, uploaded and discovered.
            assertEquals(320, awaitTotal(kiln, "durable", from, now - 120_000L, 320));
            assertEquals(324, total(kiln, "durable", from, until), "each profile counted once across the split");
        }
        try (KilnTestClient again = KilnTestClient.start(dir, flags)) {
            assertEquals(324, awaitTotal(again, "durable", from, until, 324), "everything is back after a restart");
            assertEquals(4, total(again, "durable", now - 30_000L, until));
        }
    }

    @Test
    void profilesAreFlushedToTheFilesystemServedOnceAndSurviveARestart() throws Exception {
        Path dir = Files.createTempDirectory("kiln-durable");
        lifecycle(dir);
        try (Stream<Path> blocks = Files.list(dir.resolve("storage/anonymous"))) {
            assertTrue(blocks.anyMatch(b -> Files.exists(b.resolve("meta.json"))), "blocks are in the filesystem bucket");
        }
    }

    @Test
    void theSamePathWorksOnS3() throws Exception {
        S3Proxy s3 = S3Proxy.builder().blobStore(new TransientNio2BlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "kiln-access", "kiln-secret").build();
        s3.start();
        try {
            while (!"STARTED".equals(s3.getState())) {
                Thread.sleep(5);
            }
            String endpoint = "127.0.0.1:" + s3.getPort();
            try (S3Client admin = S3Client.builder().endpointOverride(URI.create("http://" + endpoint)).forcePathStyle(true)
                    .region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("kiln-access", "kiln-secret")))
                    .build()) {
                admin.createBucket(b -> b.bucket("profiles"));
            }
            lifecycle(Files.createTempDirectory("kiln-durable-s3"), "-storage.backend=s3", "-storage.s3.endpoint=" + endpoint,
                    "-storage.s3.bucket-name=profiles", "-storage.s3.access-key-id=kiln-access", "-storage.s3.secret-access-key=kiln-secret",
                    "-storage.s3.insecure", "-storage.s3.force-path-style");
            S3Config config = new S3Config(endpoint, "profiles", "us-east-1", "kiln-access", "kiln-secret", true, true,
                    S3Config.DEFAULT_PART_SIZE, 4, "");
            try (S3ObjectStore store = new S3ObjectStore(config)) {
                assertTrue(store.list("anonymous/").stream().anyMatch(k -> k.endsWith("/meta.json")), "blocks are in the bucket");
            }
        } finally {
            s3.stop();
        }
    }
}
