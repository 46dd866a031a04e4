package dev.kiln.common.objstore;

import com.google.common.io.ByteStreams;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * An {@link ObjectStore} in an S3 bucket (AWS or an S3-compatible service), using the synchronous AWS SDK v2
 * client over {@code HttpURLConnection}.
 *
 * <ul>
 *   <li>Checksums are computed and validated only when S3 requires them: S3 clones differ in their support for
 *       the SDK's default trailing CRC32 checksums.</li>
 *   <li>Requests are retried by the SDK's standard retry strategy (throttling, 5xx, I/O errors), with backoff.</li>
 *   <li>{@link #upload} sends files above {@link S3Config#partSize()} as a multipart upload whose parts are read
 *       straight from the file on {@link S3Config#uploadConcurrency()} threads; a failed upload is aborted so
 *       no orphaned parts stay billed.</li>
 *   <li>Every SDK failure becomes an {@link ObjectStoreException} whose message names the operation,
 *       {@code s3://bucket/key}, and S3's error code and HTTP status.</li>
 * </ul>
 */
public final class S3ObjectStore implements ObjectStore {
    private static final Logger log = LoggerFactory.getLogger(S3ObjectStore.class);

    /** S3's limits: parts per multipart upload, keys per DeleteObjects request. */
    private static final int MAX_PARTS = 10_000;
    private static final int MAX_KEYS_PER_DELETE = 1000;

    private final S3Config config;
    private final String bucket;
    private final String keyPrefix;
    private final S3Client s3;
    private final ExecutorService partUploads;

    public S3ObjectStore(S3Config config) {
        this.config = config;
        this.bucket = config.bucketName();
        this.keyPrefix = config.keyPrefix();
        this.s3 = buildClient(config);
        this.partUploads = Executors.newFixedThreadPool(config.uploadConcurrency(),
                Thread.ofPlatform().name("kiln-s3-upload-", 0).daemon(true).factory());
    }

    /** The SDK client that {@code config} describes; package-private so tests can prepare buckets with it. */
    static S3Client buildClient(S3Config config) {
        S3ClientBuilder builder = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .region(Region.of(config.region()))
                .forcePathStyle(config.forcePathStyle())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.retryStrategy(RetryMode.STANDARD));
        config.endpointUri().ifPresent(builder::endpointOverride);
        // without a provider the client uses the AWS default chain, and owns (closes) it
        if (config.hasStaticCredentials()) {
            builder.credentialsProvider(StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(config.accessKeyId(), config.secretAccessKey())));
        }
        return builder.build();
    }

    public S3Config config() {
        return config;
    }

    @Override
    public void put(String key, byte[] data) {
        String name = objectName(key);
        call("PutObject", key, () -> s3.putObject(b -> b.bucket(bucket).key(name), RequestBody.fromBytes(data)));
    }

    @Override
    public void upload(String key, Path file) {
        String name = objectName(key);
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new ObjectStoreException("cannot read upload source " + file + ": " + e.getMessage(), e);
        }
        if (size <= config.partSize()) {
            call("PutObject", key, () -> s3.putObject(b -> b.bucket(bucket).key(name), RequestBody.fromFile(file)));
        } else {
            uploadMultipart(key, name, file, size);
        }
    }

    private void uploadMultipart(String key, String name, Path file, long size) {
        long partSize = Math.max(config.partSize(), Math.ceilDiv(size, MAX_PARTS));
        int partCount = (int) Math.ceilDiv(size, partSize);
        String uploadId = call("CreateMultipartUpload", key,
                () -> s3.createMultipartUpload(b -> b.bucket(bucket).key(name)).uploadId());
        List<Future<CompletedPart>> parts = new ArrayList<>(partCount);
        try {
            for (int i = 0; i < partCount; i++) {
                int partNumber = i + 1;
                long offset = i * partSize;
                long length = Math.min(partSize, size - offset);
                parts.add(partUploads.submit(() -> uploadPart(name, uploadId, partNumber, file, offset, length)));
            }
            List<CompletedPart> completed = new ArrayList<>(partCount);
            for (Future<CompletedPart> part : parts) {
                completed.add(part.get());
            }
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(name).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(completed)));
        } catch (Exception e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            abortMultipart(key, name, uploadId, parts, cause);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new ObjectStoreException("S3 multipart upload of " + file + " to " + location(key)
                    + " failed and was aborted: " + describe(cause), cause);
        }
        log.atDebug().addKeyValue("key", location(key)).addKeyValue("bytes", size).addKeyValue("parts", partCount)
                .log("multipart upload complete");
    }

    private CompletedPart uploadPart(String name, String uploadId, int partNumber, Path file, long offset,
            long length) {
        try (FileRangeContent content = new FileRangeContent(file, offset, length)) {
            String eTag = s3.uploadPart(
                    b -> b.bucket(bucket).key(name).uploadId(uploadId).partNumber(partNumber).contentLength(length),
                    RequestBody.fromContentProvider(content, length, "application/octet-stream")).eTag();
            return CompletedPart.builder().partNumber(partNumber).eTag(eTag).build();
        }
    }

    /**
     * Aborts after the part uploads already running have finished: a part that arrives after the abort would
     * otherwise be stored (and billed) again under the dead upload id.
     */
    private void abortMultipart(String key, String name, String uploadId, List<Future<CompletedPart>> parts,
            Throwable cause) {
        parts.forEach(part -> part.cancel(false));
        for (Future<CompletedPart> part : parts) {
            try {
                part.get();
            } catch (ExecutionException | CancellationException e) {
                // this part's own failure (or cancellation) is already covered by the upload's failure
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            s3.abortMultipartUpload(b -> b.bucket(bucket).key(name).uploadId(uploadId));
            log.atWarn().addKeyValue("key", location(key)).addKeyValue("error", describe(cause))
                    .log("aborted failed multipart upload");
        } catch (SdkException abortFailure) {
            cause.addSuppressed(abortFailure);
            log.atWarn().addKeyValue("key", location(key)).addKeyValue("uploadId", uploadId)
                    .addKeyValue("error", describe(abortFailure))
                    .log("cannot abort failed multipart upload; a bucket lifecycle rule must clean it up");
        }
    }

    @Override
    public byte[] get(String key) {
        String name = objectName(key);
        return call("GetObject", key, () -> s3.getObjectAsBytes(b -> b.bucket(bucket).key(name)).asByteArray());
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        String name = objectName(key);
        ObjectKeys.requireRange(offset, length);
        if (length == 0) {
            // S3 has no empty range ("bytes=5-4" means the whole object); only check that the object exists
            if (stat(key).isEmpty()) {
                throw new NoSuchObjectException(key, location(key));
            }
            return new byte[0];
        }
        long last = offset > Long.MAX_VALUE - length ? Long.MAX_VALUE : offset + length - 1;
        String range = "bytes=" + offset + "-" + last;
        try {
            return call("GetObject", key,
                    () -> s3.getObjectAsBytes(b -> b.bucket(bucket).key(name).range(range)).asByteArray());
        } catch (ObjectStoreException e) {
            // 416: the range starts at or after the end of an existing object
            if (e.getCause() instanceof S3Exception s3e && s3e.statusCode() == 416) {
                return new byte[0];
            }
            throw e;
        }
    }

    @Override
    public InputStream open(String key) {
        String name = objectName(key);
        return call("GetObject", key, () -> s3.getObject(b -> b.bucket(bucket).key(name)));
    }

    @Override
    public Optional<ObjectAttributes> stat(String key) {
        String name = objectName(key);
        try {
            HeadObjectResponse head = s3.headObject(b -> b.bucket(bucket).key(name));
            return Optional.of(new ObjectAttributes(head.contentLength(), head.lastModified()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            // HEAD responses have no body, so some servers' 404s arrive without the NoSuchKey code
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw failure("HeadObject", key, e);
        } catch (SdkException e) {
            throw failure("HeadObject", key, e);
        }
    }

    @Override
    public List<String> list(String prefix) {
        ObjectKeys.requirePrefix(prefix);
        List<String> keys = new ArrayList<>();
        forEachPage(prefix, false, page -> {
            for (S3Object object : page.contents()) {
                keys.add(object.key().substring(keyPrefix.length()));
            }
        });
        keys.sort(ObjectKeys.UTF8_ORDER);
        return keys;
    }

    @Override
    public List<String> listPrefixes(String directory) {
        ObjectKeys.requireDirectory(directory, true);
        int strip = keyPrefix.length() + directory.length();
        List<String> names = new ArrayList<>();
        forEachPage(directory, true, page -> {
            for (CommonPrefix common : page.commonPrefixes()) {
                names.add(common.prefix().substring(strip, common.prefix().length() - 1));
            }
        });
        names.sort(ObjectKeys.UTF8_ORDER);
        return names;
    }

    @Override
    public void delete(String key) {
        String name = objectName(key);
        call("DeleteObject", key, () -> s3.deleteObject(b -> b.bucket(bucket).key(name)));
    }

    @Override
    public void deletePrefix(String directory) {
        ObjectKeys.requireDirectory(directory, false);
        // a listing page (1000 keys by default) is usually one DeleteObjects batch; deleting a page's keys before
        // fetching the next is safe because S3 continues a listing after the last key it returned
        forEachPage(directory, false, page -> {
            List<ObjectIdentifier> batch = page.contents().stream()
                    .map(object -> ObjectIdentifier.builder().key(object.key()).build())
                    .toList();
            for (int from = 0; from < batch.size(); from += MAX_KEYS_PER_DELETE) {
                List<ObjectIdentifier> chunk = batch.subList(from, Math.min(batch.size(), from + MAX_KEYS_PER_DELETE));
                DeleteObjectsResponse response = call("DeleteObjects", directory, () -> s3.deleteObjects(
                        b -> b.bucket(bucket).delete(d -> d.objects(chunk).quiet(true))));
                if (response.hasErrors() && !response.errors().isEmpty()) {
                    S3Error first = response.errors().getFirst();
                    throw new ObjectStoreException("S3 DeleteObjects under " + location(directory) + " failed for "
                            + response.errors().size() + " of " + chunk.size() + " keys, first s3://" + bucket + "/"
                            + first.key() + ": " + first.code() + ": " + first.message());
                }
            }
        });
    }

    @Override
    public void close() {
        partUploads.shutdown();
        s3.close();
    }

    @Override
    public String toString() {
        return "S3ObjectStore[s3://" + bucket + "/" + keyPrefix + "]";
    }

    /** Lists the keys (or, {@code delimited}, the common prefixes) below {@code prefix}, page by page. */
    private void forEachPage(String prefix, boolean delimited, Consumer<ListObjectsV2Response> onPage) {
        call("ListObjectsV2", prefix, () -> {
            s3.listObjectsV2Paginator(b -> {
                b.bucket(bucket).prefix(keyPrefix + prefix);
                if (delimited) {
                    b.delimiter("/");
                }
            }).forEach(onPage);
            return null;
        });
    }

    private String objectName(String key) {
        return keyPrefix + ObjectKeys.requireKey(key);
    }

    private String location(String key) {
        return "s3://" + bucket + "/" + keyPrefix + key;
    }

    /** Runs one SDK call, translating its exceptions into ours. */
    private <T> T call(String operation, String key, Supplier<T> request) {
        try {
            return request.get();
        } catch (NoSuchKeyException e) {
            throw new NoSuchObjectException(key, location(key));
        } catch (SdkException e) {
            throw failure(operation, key, e);
        }
    }

    private ObjectStoreException failure(String operation, String key, SdkException e) {
        return new ObjectStoreException("S3 " + operation + " " + location(key) + " failed: " + describe(e), e);
    }

    /** S3's error code, status and message when the service answered; the client-side message otherwise. */
    private static String describe(Throwable e) {
        if (e instanceof AwsServiceException service && service.awsErrorDetails() != null) {
            return service.awsErrorDetails().errorCode() + " (HTTP " + service.statusCode() + "): "
                    + service.awsErrorDetails().errorMessage();
        }
        return e.toString();
    }

    /**
     * The body of one part, read from its range of the file. The SDK may ask for the stream more than once
     * (payload signing over plain HTTP, retries), so each request opens a fresh stream and closes the last.
     */
    private static final class FileRangeContent implements ContentStreamProvider, AutoCloseable {
        private final Path file;
        private final long offset;
        private final long length;
        private InputStream current;

        FileRangeContent(Path file, long offset, long length) {
            this.file = file;
            this.offset = offset;
            this.length = length;
        }

        @Override
        public synchronized InputStream newStream() {
            close();
            try {
                FileChannel channel = FileChannel.open(file, StandardOpenOption.READ).position(offset);
                current = ByteStreams.limit(Channels.newInputStream(channel), length);
                return current;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + " at offset " + offset, e);
            }
        }

        @Override
        public synchronized void close() {
            if (current != null) {
                try {
                    current.close();
                } catch (IOException e) {
                    // closing a read-only file cannot lose data
                }
                current = null;
            }
        }
    }
}
