package dev.kiln.common.objstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class S3ConfigTest {

    private static S3Config config(String endpoint, String accessKey, String secretKey, boolean insecure,
            long partSize, int concurrency, String prefix) {
        return new S3Config(endpoint, "profiles", null, accessKey, secretKey, insecure, true, partSize, concurrency,
                prefix);
    }

    @Test
    void forBucketUsesTheDocumentedDefaults() {
        S3Config config = S3Config.forBucket("profiles");

        assertEquals(new S3Config("", "profiles", "us-east-1", "", "", false, false, 64L << 20, 4, ""), config);
        assertEquals(Optional.empty(), config.endpointUri());
        assertFalse(config.hasStaticCredentials());
        assertEquals("", config.keyPrefix());
    }

    @Test
    void nullStringsMeanNotSet() {
        S3Config config = new S3Config(null, "profiles", null, null, null, false, false, 5L << 20, 1, null);

        assertEquals(new S3Config("", "profiles", "us-east-1", "", "", false, false, 5L << 20, 1, ""), config);
    }

    @Test
    void insecureSelectsPlainHttpForTheEndpoint() {
        assertEquals(Optional.of(URI.create("http://minio:9000")),
                config("minio:9000", "", "", true, 5L << 20, 1, "").endpointUri());
        assertEquals(Optional.of(URI.create("https://s3.eu-west-1.amazonaws.com")),
                config("s3.eu-west-1.amazonaws.com", "", "", false, 5L << 20, 1, "").endpointUri());
    }

    @Test
    void anEndpointWithASchemeIsRejectedWithAHint() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> config("http://minio:9000", "", "", true, 5L << 20, 1, ""));

        assertEquals("storage.s3.endpoint \"http://minio:9000\" must be host[:port] without a scheme or path;"
                + " set storage.s3.insecure=true for plain HTTP", e.getMessage());
    }

    @Test
    void theBucketNameIsRequired() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new S3Config("", " ", "", "", "", false, false, 5L << 20, 1, ""));

        assertEquals("storage.s3.bucket_name must be set", e.getMessage());
    }

    @Test
    void keysMustBeGivenTogether() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> config("", "AKIA123", "", false, 5L << 20, 1, ""));

        assertEquals("storage.s3.access_key_id and storage.s3.secret_access_key must be set together (or both left"
                + " empty for the AWS default credential chain)", e.getMessage());
        assertTrue(config("", "AKIA123", "secret", false, 5L << 20, 1, "").hasStaticCredentials());
    }

    @Test
    void partSizeMustBeWithinS3sLimits() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> config("", "", "", false, (5L << 20) - 1, 1, ""));
        assertEquals("storage.s3.part_size 5242879 must be between 5242880 (5 MiB) and 5368709120 (5 GiB) bytes",
                small.getMessage());
        assertThrows(IllegalArgumentException.class, () -> config("", "", "", false, (5L << 30) + 1, 1, ""));
    }

    @Test
    void uploadConcurrencyMustBePositive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> config("", "", "", false, 5L << 20, 0, ""));

        assertEquals("storage.s3.upload_concurrency 0 must be at least 1", e.getMessage());
    }

    @Test
    void thePrefixIsNormalizedAndValidated() {
        S3Config config = config("", "", "", false, 5L << 20, 1, "/clusters/eu/");
        assertEquals("clusters/eu", config.prefix());
        assertEquals("clusters/eu/", config.keyPrefix());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> config("", "", "", false, 5L << 20, 1, "clusters//eu"));
        assertEquals("storage.s3.prefix: invalid object key \"clusters//eu\": empty path segment", e.getMessage());
    }

    @Test
    void toStringMasksTheSecret() {
        String text = config("minio:9000", "AKIA123", "wJalrXUtnFEMI", true, 5L << 20, 2, "kiln").toString();

        assertEquals("S3Config[endpoint=minio:9000, bucketName=profiles, region=us-east-1, accessKeyId=AKIA123,"
                + " secretAccessKey=***, insecure=true, forcePathStyle=true, partSize=5242880, uploadConcurrency=2,"
                + " prefix=kiln]", text);
    }
}
