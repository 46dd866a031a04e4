package dev.kiln.common.objstore;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/** The object-store contract and S3-specific behaviour against S3Proxy 4.1, in process, on its filesystem store. */
class S3ObjectStoreIT extends S3ObjectStoreContract {
    private static final String ACCESS_KEY = "kiln-access";
    private static final String SECRET_KEY = "kiln-secret";
    /** Every contract test runs below a key prefix, so prefix handling is exercised throughout. */
    private static final String PREFIX = "kiln";

    /** The part number S3Proxy refuses to store, or 0 for none. */
    private static final AtomicInteger FAILING_PART = new AtomicInteger();

    private static S3Proxy s3proxy;
    private static String endpoint;

    @BeforeAll
    static void startS3Proxy() throws Exception {
        BlobStore blobs = new PartFailingBlobStore(new TransientNio2BlobStore());
        s3proxy = S3Proxy.builder()
                .blobStore(blobs)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        s3proxy.start();
        // start() returns before Jetty has bound its port
        while (!"STARTED".equals(s3proxy.getState())) {
            Thread.sleep(5);
        }
        endpoint = "127.0.0.1:" + s3proxy.getPort();
    }

    @AfterAll
    static void stopS3Proxy() throws Exception {
        s3proxy.stop();
    }

    @AfterEach
    void stopFailingParts() {
        FAILING_PART.set(0);
    }

    @Override
    S3Config config(String bucket) {
        return new S3Config(endpoint, bucket, "us-east-1", ACCESS_KEY, SECRET_KEY, true, true, TEST_PART_SIZE, 4,
                PREFIX);
    }

    @Test
    void keysAreStoredBelowTheConfiguredPrefix() {
        store.put("t/b/meta.json", "{}".getBytes(UTF_8));

        try (S3Client admin = S3ObjectStore.buildClient(config(bucket))) {
            List<String> names = admin.listObjectsV2(b -> b.bucket(bucket)).contents().stream()
                    .map(S3Object::key).toList();
            assertEquals(List.of("kiln/t/b/meta.json"), names);
        }
        assertEquals(List.of("t"), store.listPrefixes(""));
    }

    @Test
    void aFailedMultipartUploadIsAbortedAndNamesTheObject() throws Exception {
        Path file = tempDir.resolve("profiles.parquet");
        writeRandomFile(file, (12L << 20));
        FAILING_PART.set(2);

        ObjectStoreException e = assertThrows(ObjectStoreException.class,
                () -> store.upload("t/b/profiles.parquet", file));

        String object = "s3://" + bucket + "/kiln/t/b/profiles.parquet";
        assertTrue(e.getMessage().startsWith("S3 multipart upload of " + file + " to " + object
                + " failed and was aborted: InternalError (HTTP 500)"), e.getMessage());
        try (S3Client admin = S3ObjectStore.buildClient(config(bucket))) {
            assertEquals(List.of(), admin.listMultipartUploads(b -> b.bucket(bucket)).uploads());
        }
        assertEquals(List.of(), store.list(""));
    }

    @Test
    void aMissingBucketIsAnErrorNamingBucketAndKey() {
        try (ObjectStore missingBucket = new S3ObjectStore(config("no-such-bucket"))) {
            ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> missingBucket.get("t/meta.json"));

            assertFalse(e instanceof NoSuchObjectException, "a missing bucket is not a missing object");
            assertTrue(e.getMessage().startsWith(
                    "S3 GetObject s3://no-such-bucket/kiln/t/meta.json failed: NoSuchBucket (HTTP 404)"), e.getMessage());
            ObjectStoreException list = assertThrows(ObjectStoreException.class, () -> missingBucket.list("t/"));
            assertTrue(list.getMessage().startsWith(
                    "S3 ListObjectsV2 s3://no-such-bucket/kiln/t/ failed: NoSuchBucket (HTTP 404)"), list.getMessage());
        }
    }

    @Test
    void wrongCredentialsAreAnErrorWithS3sErrorCode() {
        S3Config wrongSecret = new S3Config(endpoint, bucket, "us-east-1", ACCESS_KEY, "not-the-secret", true, true,
                TEST_PART_SIZE, 4, PREFIX);
        try (ObjectStore unauthorized = new S3ObjectStore(wrongSecret)) {
            // A request without a body: S3Proxy answers 403 before reading one, so an upload can
            // instead fail on the client with a broken pipe, depending on timing.
            ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> unauthorized.list("t/"));

            assertTrue(e.getMessage().startsWith(
                    "S3 ListObjectsV2 s3://" + bucket + "/kiln/t/ failed: SignatureDoesNotMatch (HTTP 403)"),
                    e.getMessage());
        }
    }

    @Test
    void anUnreachableEndpointIsAnErrorNamingTheObject() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        S3Config unreachable = new S3Config("127.0.0.1:" + closedPort, bucket, "us-east-1", ACCESS_KEY, SECRET_KEY,
                true, true, TEST_PART_SIZE, 4, PREFIX);
        try (ObjectStore offline = new S3ObjectStore(unreachable)) {
            ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> offline.stat("t/meta.json"));

            assertTrue(e.getMessage().startsWith("S3 HeadObject s3://" + bucket + "/kiln/t/meta.json failed: "),
                    e.getMessage());
            assertTrue(e.getMessage().contains("Connection refused"), e.getMessage());
        }
    }

    /** Fails to store the part number in {@link #FAILING_PART}, as a server with a failing disk would. */
    private static final class PartFailingBlobStore extends ForwardingBlobStore {
        PartFailingBlobStore(BlobStore delegate) {
            super(delegate);
        }

        @Override
        public UploadPartResponse uploadMultipartPart(MultipartUpload upload, UploadPartRequest request,
                InputStream content) {
            if (request.partNumber() == FAILING_PART.get()) {
                // read the body first: failing before it arrives makes the client see a broken connection
                try {
                    content.transferTo(OutputStream.nullOutputStream());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                throw new UncheckedIOException(
                        new IOException("injected disk failure storing part " + request.partNumber()));
            }
            return super.uploadMultipartPart(upload, request, content);
        }
    }
}
