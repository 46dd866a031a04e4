package dev.kiln.common.objstore;

import java.net.URI;
import java.util.Optional;

/**
 * Settings of the S3 backend ({@code storage.s3.*}). Strings may be given as {@code null}, meaning "not set".
 *
 * @param endpoint          {@code storage.s3.endpoint}: {@code host[:port]} of an S3-compatible service, without
 *                          a scheme (see {@code insecure}). Default {@code ""}: AWS's regional endpoint.
 * @param bucketName        {@code storage.s3.bucket_name}: required. The bucket must exist.
 * @param region            {@code storage.s3.region}: default {@code us-east-1}.
 * @param accessKeyId       {@code storage.s3.access_key_id}: default {@code ""}. When both keys are empty the AWS
 *                          default credential chain is used (environment, system properties, profile files,
 *                          container and instance roles).
 * @param secretAccessKey   {@code storage.s3.secret_access_key}: secret, masked by {@link #toString()}.
 *                          Default {@code ""}.
 * @param insecure          {@code storage.s3.insecure}: talk plain HTTP to {@code endpoint}. Default false.
 * @param forcePathStyle    {@code storage.s3.force_path_style}: address objects as {@code endpoint/bucket/key}
 *                          instead of {@code bucket.endpoint/key}; most S3 clones (MinIO, S3Proxy, Ceph) need
 *                          it. Default false.
 * @param partSize          {@code storage.s3.part_size}: bytes per multipart part; {@link ObjectStore#upload}
 *                          uses multipart for larger files. Between 5 MiB and 5 GiB (S3's limits). Default
 *                          64 MiB. Grown automatically when a file would need more than 10,000 parts.
 * @param uploadConcurrency {@code storage.s3.upload_concurrency}: parts uploaded in parallel, shared by all
 *                          uploads of one store. Default 4.
 * @param prefix            {@code storage.s3.prefix}: directory inside the bucket that holds all keys, so
 *                          several clusters can share a bucket. Default {@code ""}: the bucket root.
 */
public record S3Config(
        String endpoint,
        String bucketName,
        String region,
        String accessKeyId,
        String secretAccessKey,
        boolean insecure,
        boolean forcePathStyle,
        long partSize,
        int uploadConcurrency,
        String prefix) {

    public static final String DEFAULT_REGION = "us-east-1";
    public static final long MIN_PART_SIZE = 5L << 20;
    public static final long MAX_PART_SIZE = 5L << 30;
    public static final long DEFAULT_PART_SIZE = 64L << 20;
    public static final int DEFAULT_UPLOAD_CONCURRENCY = 4;

    public S3Config {
        endpoint = orEmpty(endpoint).strip();
        bucketName = orEmpty(bucketName).strip();
        region = orEmpty(region).isBlank() ? DEFAULT_REGION : region.strip();
        accessKeyId = orEmpty(accessKeyId);
        secretAccessKey = orEmpty(secretAccessKey);
        prefix = stripSlashes(orEmpty(prefix));

        if (bucketName.isEmpty()) {
            throw new IllegalArgumentException("storage.s3.bucket_name must be set");
        }
        if (endpoint.contains("://") || endpoint.contains("/")) {
            throw new IllegalArgumentException("storage.s3.endpoint \"" + endpoint + "\" must be host[:port] without"
                    + " a scheme or path; set storage.s3.insecure=true for plain HTTP");
        }
        if (accessKeyId.isEmpty() != secretAccessKey.isEmpty()) {
            throw new IllegalArgumentException("storage.s3.access_key_id and storage.s3.secret_access_key must be"
                    + " set together (or both left empty for the AWS default credential chain)");
        }
        if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
            throw new IllegalArgumentException("storage.s3.part_size " + partSize + " must be between "
                    + MIN_PART_SIZE + " (5 MiB) and " + MAX_PART_SIZE + " (5 GiB) bytes");
        }
        if (uploadConcurrency < 1) {
            throw new IllegalArgumentException(
                    "storage.s3.upload_concurrency " + uploadConcurrency + " must be at least 1");
        }
        if (!prefix.isEmpty()) {
            try {
                ObjectKeys.requireKey(prefix);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("storage.s3.prefix: " + e.getMessage(), e);
            }
        }
    }

    /** The defaults for {@code bucketName}: AWS endpoint, default credential chain, no prefix. */
    public static S3Config forBucket(String bucketName) {
        return new S3Config("", bucketName, DEFAULT_REGION, "", "", false, false,
                DEFAULT_PART_SIZE, DEFAULT_UPLOAD_CONCURRENCY, "");
    }

    /** The endpoint override with its scheme, or empty to use AWS's own endpoints. */
    public Optional<URI> endpointUri() {
        return endpoint.isEmpty()
                ? Optional.empty()
                : Optional.of(URI.create((insecure ? "http://" : "https://") + endpoint));
    }

    public boolean hasStaticCredentials() {
        return !accessKeyId.isEmpty();
    }

    /** What precedes every key in the bucket: {@code ""} or the prefix followed by {@code /}. */
    public String keyPrefix() {
        return prefix.isEmpty() ? "" : prefix + "/";
    }

    @Override
    public String toString() {
        return "S3Config[endpoint=" + endpoint + ", bucketName=" + bucketName + ", region=" + region
                + ", accessKeyId=" + accessKeyId + ", secretAccessKey=" + (secretAccessKey.isEmpty() ? "" : "***")
                + ", insecure=" + insecure + ", forcePathStyle=" + forcePathStyle + ", partSize=" + partSize
                + ", uploadConcurrency=" + uploadConcurrency + ", prefix=" + prefix + "]";
    }

    private static String orEmpty(String value) {
        return value == null ? "" : value;
    }

    private static String stripSlashes(String value) {
        int start = 0;
        int end = value.length();
        while (start < end && value.charAt(start) == '/') {
            start++;
        }
        while (end > start && value.charAt(end - 1) == '/') {
            end--;
        }
        return value.substring(start, end);
    }
}
