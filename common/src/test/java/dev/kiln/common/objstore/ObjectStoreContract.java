package dev.kiln.common.objstore;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The behaviour every {@link ObjectStore} backend must share. Subclasses provide a fresh, empty store per test;
 * S3 stores are configured with a 5 MiB part size so the 20 MiB upload takes the multipart path.
 */
abstract class ObjectStoreContract {
    /** Part size that S3 subclasses configure: 20 MiB + 123 bytes then needs five parts, the last one short. */
    static final long TEST_PART_SIZE = 5L << 20;

    @TempDir
    Path tempDir;

    ObjectStore store;

    /** A new store that holds no objects, owned (and closed) by the contract. */
    abstract ObjectStore newStore() throws Exception;

    @BeforeEach
    void openStore() throws Exception {
        store = newStore();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void getReturnsWhatPutStored() {
        store.put("anonymous/01HHYG6245NWHZWVP27V8WJRT7/meta.json", "{\"version\":3}".getBytes(UTF_8));

        assertEquals("{\"version\":3}",
                new String(store.get("anonymous/01HHYG6245NWHZWVP27V8WJRT7/meta.json"), UTF_8));
    }

    @Test
    void putReplacesAnExistingObject() {
        store.put("t/index.json", "first version".getBytes(UTF_8));
        store.put("t/index.json", "v2".getBytes(UTF_8));

        assertEquals("v2", new String(store.get("t/index.json"), UTF_8));
        assertEquals(2, store.stat("t/index.json").orElseThrow().size());
        assertEquals(List.of("t/index.json"), store.list(""));
    }

    @Test
    void emptyObjectsAreStoredAndRead() throws IOException {
        store.put("t/empty", new byte[0]);

        assertArrayEquals(new byte[0], store.get("t/empty"));
        assertEquals(0, store.stat("t/empty").orElseThrow().size());
        assertArrayEquals(new byte[0], store.getRange("t/empty", 0, 10));
        try (InputStream in = store.open("t/empty")) {
            assertEquals(-1, in.read());
        }
        assertEquals(List.of("t/empty"), store.list("t/"));
    }

    @Test
    void getRangeReturnsTheRequestedSliceClippedToTheObject() {
        byte[] data = sequence(100);
        store.put("t/b/profiles.parquet", data);

        assertArrayEquals(Arrays.copyOfRange(data, 10, 15), store.getRange("t/b/profiles.parquet", 10, 5));
        assertArrayEquals(data, store.getRange("t/b/profiles.parquet", 0, 100));
        assertArrayEquals(Arrays.copyOfRange(data, 95, 100), store.getRange("t/b/profiles.parquet", 95, 10));
        assertArrayEquals(new byte[0], store.getRange("t/b/profiles.parquet", 100, 5));
        assertArrayEquals(new byte[0], store.getRange("t/b/profiles.parquet", 1000, 5));
        assertArrayEquals(new byte[0], store.getRange("t/b/profiles.parquet", 7, 0));
    }

    @Test
    void getRangeRejectsNegativeArguments() {
        store.put("t/x", sequence(10));

        IllegalArgumentException offset = assertThrows(IllegalArgumentException.class,
                () -> store.getRange("t/x", -1, 5));
        assertEquals("invalid range: offset -1 and length 5 must not be negative", offset.getMessage());
        assertThrows(IllegalArgumentException.class, () -> store.getRange("t/x", 0, -5));
    }

    @Test
    void openStreamsTheWholeObject() throws IOException {
        byte[] data = randomBytes(1 << 20, 7);
        store.put("t/b/symbols.symdb", data);

        try (InputStream in = store.open("t/b/symbols.symdb")) {
            assertArrayEquals(data, in.readAllBytes());
        }
    }

    @Test
    void statReportsSizeAndModificationTime() {
        // S3 reports whole seconds, and a MinIO container's clock may drift a little from ours
        Instant before = Instant.now().minusSeconds(5);
        store.put("t/b/meta.json", sequence(1234));
        Instant after = Instant.now().plusSeconds(5);

        ObjectAttributes attributes = store.stat("t/b/meta.json").orElseThrow();

        assertEquals(1234, attributes.size());
        assertTrue(attributes.lastModified().isAfter(before) && attributes.lastModified().isBefore(after),
                "lastModified " + attributes.lastModified() + " not between " + before + " and " + after);
    }

    @Test
    void missingObjectsAreReportedAsSuch() {
        store.put("t/b/other", sequence(3));

        NoSuchObjectException get = assertThrows(NoSuchObjectException.class, () -> store.get("t/b/meta.json"));
        assertEquals("t/b/meta.json", get.key());
        assertTrue(get.getMessage().startsWith("object not found: "), get.getMessage());
        assertTrue(get.getMessage().endsWith("t/b/meta.json"), get.getMessage());
        assertThrows(NoSuchObjectException.class, () -> store.getRange("t/b/meta.json", 0, 10));
        assertThrows(NoSuchObjectException.class, () -> store.getRange("t/b/meta.json", 0, 0));
        assertThrows(NoSuchObjectException.class, () -> store.open("t/b/meta.json"));
        assertEquals(Optional.empty(), store.stat("t/b/meta.json"));
        // a "directory" is not an object
        assertThrows(NoSuchObjectException.class, () -> store.get("t/b"));
        assertEquals(Optional.empty(), store.stat("t/b"));
        // below an object: no such key either
        assertThrows(NoSuchObjectException.class, () -> store.get("t/b/other/x"));
        assertEquals(Optional.empty(), store.stat("t/b/other/x"));
    }

    @Test
    void deletingMissingObjectsAndPrefixesIsANoOp() {
        store.put("t/b/keep", sequence(3));

        store.delete("t/b/missing");
        store.delete("t/b");
        store.deletePrefix("u/");

        assertEquals(List.of("t/b/keep"), store.list(""));
        assertEquals(List.of(), store.list("u/"));
        assertEquals(List.of(), store.listPrefixes("u/"));
    }

    static Stream<Arguments> invalidKeys() {
        return Stream.of(
                Arguments.of("", "invalid object key: must not be empty"),
                Arguments.of("/t/b", "invalid object key \"/t/b\": must be relative (no leading '/')"),
                Arguments.of("t//b", "invalid object key \"t//b\": empty path segment"),
                Arguments.of("t/b/", "invalid object key \"t/b/\": must not end with '/'"),
                Arguments.of("t/../b", "invalid object key \"t/../b\": '..' path segment"),
                Arguments.of("..", "invalid object key \"..\": '..' path segment"),
                Arguments.of("t/./b", "invalid object key \"t/./b\": '.' path segment"),
                Arguments.of("t/b\nc", "invalid object key \"t/b\\u000Ac\": control character U+000A at index 3"),
                Arguments.of("t\u0000", "invalid object key \"t\\u0000\": control character U+0000 at index 1"),
                Arguments.of("t/\u007f", "invalid object key \"t/\\u007F\": control character U+007F at index 2"),
                Arguments.of("t/.kiln-tmp-123",
                        "invalid object key \"t/.kiln-tmp-123\": segment starts with the reserved '.kiln-tmp-'"),
                Arguments.of("k".repeat(1025), "invalid object key \"" + "k".repeat(1025)
                        + "\": longer than 1024 UTF-8 bytes"));
    }

    @ParameterizedTest
    @MethodSource("invalidKeys")
    void invalidKeysAreRejectedByEveryOperation(String key, String message) throws IOException {
        Path file = Files.write(tempDir.resolve("source"), sequence(3));
        List<Consumer<String>> operations = List.of(
                k -> store.put(k, new byte[1]),
                k -> store.upload(k, file),
                store::get,
                k -> store.getRange(k, 0, 1),
                store::open,
                store::stat,
                store::delete);
        for (Consumer<String> operation : operations) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> operation.accept(key));
            assertEquals(message, e.getMessage());
        }
        assertEquals(List.of(), store.list(""));
    }

    @Test
    void invalidPrefixesAreRejected() {
        assertEquals("invalid prefix \"/t\": must be relative (no leading '/')",
                assertThrows(IllegalArgumentException.class, () -> store.list("/t")).getMessage());
        assertEquals("invalid prefix \"t/../u\": '..' path segment",
                assertThrows(IllegalArgumentException.class, () -> store.list("t/../u")).getMessage());
        assertEquals("invalid directory prefix \"t\": must end with '/'",
                assertThrows(IllegalArgumentException.class, () -> store.listPrefixes("t")).getMessage());
        assertEquals("invalid directory prefix \"t//\": empty path segment",
                assertThrows(IllegalArgumentException.class, () -> store.listPrefixes("t//")).getMessage());
        assertEquals("invalid directory prefix \"t/b\": must end with '/'",
                assertThrows(IllegalArgumentException.class, () -> store.deletePrefix("t/b")).getMessage());
        assertEquals("invalid directory prefix: must not be empty (refusing to address the whole store)",
                assertThrows(IllegalArgumentException.class, () -> store.deletePrefix("")).getMessage());
    }

    /** A tenant layout: two tenants, blocks b1, b10, b2, a bucket index and a top-level file. */
    private void putTenantLayout() {
        for (String key : List.of("t1/b1/meta.json", "t1/b1/profiles.parquet", "t1/b1/symbols/strings.parquet",
                "t1/b10/meta.json", "t1/b2/meta.json", "t1/bucket-index.json.gz", "t2/b3/meta.json", "top.json")) {
            store.put(key, key.getBytes(UTF_8));
        }
    }

    @Test
    void listReturnsAllKeysWithTheStringPrefixInOrder() {
        putTenantLayout();

        assertEquals(List.of("t1/b1/meta.json", "t1/b1/profiles.parquet", "t1/b1/symbols/strings.parquet",
                "t1/b10/meta.json", "t1/b2/meta.json", "t1/bucket-index.json.gz", "t2/b3/meta.json", "top.json"),
                store.list(""));
        assertEquals(List.of("t1/b1/meta.json", "t1/b1/profiles.parquet", "t1/b1/symbols/strings.parquet"),
                store.list("t1/b1/"));
        // a plain string prefix, as in S3: "t1/b1" also matches block b10
        assertEquals(List.of("t1/b1/meta.json", "t1/b1/profiles.parquet", "t1/b1/symbols/strings.parquet",
                "t1/b10/meta.json"), store.list("t1/b1"));
        assertEquals(List.of("t1/bucket-index.json.gz"), store.list("t1/bu"));
        assertEquals(List.of("t2/b3/meta.json"), store.list("t2"));
        assertEquals(List.of("top.json"), store.list("to"));
        assertEquals(List.of(), store.list("t3"));
    }

    @Test
    void listOrdersKeysByTheirUtf8Bytes() {
        for (String key : List.of("aa", "a/b", "a.b", "A", "a-b", "é", "\uFF21", "\uD83D\uDE00")) {
            store.put(key, new byte[1]);
        }

        // UTF-8 order puts U+FF21 before U+1F600, UTF-16 order the other way round
        assertEquals(List.of("A", "a-b", "a.b", "a/b", "aa", "é", "\uFF21", "\uD83D\uDE00"), store.list(""));
    }

    @Test
    void listPrefixesReturnsDirectChildDirectories() {
        putTenantLayout();

        assertEquals(List.of("t1", "t2"), store.listPrefixes(""));
        assertEquals(List.of("b1", "b10", "b2"), store.listPrefixes("t1/"));
        assertEquals(List.of("symbols"), store.listPrefixes("t1/b1/"));
        assertEquals(List.of(), store.listPrefixes("t1/b2/"));
        assertEquals(List.of(), store.listPrefixes("top.json/"));
    }

    @Test
    void deleteRemovesOneObjectAndLeavesNoEmptyDirectory() {
        putTenantLayout();

        store.delete("t2/b3/meta.json");
        store.delete("t1/b1/meta.json");

        assertThrows(NoSuchObjectException.class, () -> store.get("t1/b1/meta.json"));
        assertEquals(List.of("t1"), store.listPrefixes(""));
        assertEquals(List.of("t1/b1/profiles.parquet", "t1/b1/symbols/strings.parquet"), store.list("t1/b1/"));
    }

    @Test
    void deletePrefixRemovesEverythingBelowTheDirectoryOnly() {
        putTenantLayout();

        store.deletePrefix("t1/b1/");

        assertEquals(List.of("t1/b10/meta.json", "t1/b2/meta.json", "t1/bucket-index.json.gz", "t2/b3/meta.json",
                "top.json"), store.list(""));
        assertEquals(List.of("b10", "b2"), store.listPrefixes("t1/"));

        store.deletePrefix("t1/");

        assertEquals(List.of("t2"), store.listPrefixes(""));
    }

    @Test
    void uploadStoresASmallFile() throws IOException {
        Path file = Files.write(tempDir.resolve("meta.json"), "{\"ulid\":\"01H\"}".getBytes(UTF_8));

        store.upload("t/b/meta.json", file);

        assertEquals("{\"ulid\":\"01H\"}", new String(store.get("t/b/meta.json"), UTF_8));
    }

    @Test
    void uploadStoresA20MiBFileIntact() throws Exception {
        Path file = tempDir.resolve("profiles.parquet");
        long size = (20L << 20) + 123;
        String expectedSha256 = writeRandomFile(file, size);

        store.upload("t/b/profiles.parquet", file);

        assertEquals(size, store.stat("t/b/profiles.parquet").orElseThrow().size());
        assertEquals(expectedSha256, sha256(store.get("t/b/profiles.parquet")));
        try (InputStream in = store.open("t/b/profiles.parquet")) {
            assertEquals(expectedSha256, sha256(in));
        }
        // a range across the boundary between the first and second part
        byte[] expectedSlice = new byte[20];
        try (FileChannel channel = FileChannel.open(file)) {
            channel.read(ByteBuffer.wrap(expectedSlice), TEST_PART_SIZE - 10);
        }
        assertArrayEquals(expectedSlice, store.getRange("t/b/profiles.parquet", TEST_PART_SIZE - 10, 20));
    }

    @Test
    void uploadOfAMissingFileNamesTheFile() {
        Path missing = tempDir.resolve("no-such-file.parquet");

        ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> store.upload("t/b/x", missing));

        assertTrue(e.getMessage().startsWith("cannot read upload source " + missing), e.getMessage());
        assertEquals(List.of(), store.list(""));
    }

    @Test
    void listingsAndDeletesCoverMoreThanOnePage() throws Exception {
        int count = 1100; // S3 pages listings and DeleteObjects batches at 1000 keys
        List<String> keys = IntStream.range(0, count).mapToObj(i -> String.format("many/%04d/meta.json", i)).toList();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> puts = new ArrayList<>();
            for (String key : keys) {
                puts.add(pool.submit(() -> store.put(key, key.getBytes(UTF_8))));
            }
            for (Future<?> put : puts) {
                put.get();
            }
        } finally {
            pool.shutdown();
        }
        store.put("other/keep", new byte[1]);

        assertEquals(keys, store.list("many/"));
        assertEquals(IntStream.range(0, count).mapToObj(i -> String.format("%04d", i)).toList(),
                store.listPrefixes("many/"));

        store.deletePrefix("many/");

        assertEquals(List.of("other/keep"), store.list(""));
        assertEquals(List.of("other"), store.listPrefixes(""));
    }

    static byte[] sequence(int length) {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) {
            data[i] = (byte) i;
        }
        return data;
    }

    static byte[] randomBytes(int length, long seed) {
        byte[] data = new byte[length];
        new Random(seed).nextBytes(data);
        return data;
    }

    /** Writes {@code size} pseudo-random bytes and returns their SHA-256 in hex. */
    static String writeRandomFile(Path file, long size) throws IOException {
        MessageDigest digest = sha256Digest();
        Random random = new Random(size);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < size; ) {
                int n = (int) Math.min(chunk.length, size - written);
                random.nextBytes(chunk);
                out.write(chunk, 0, n);
                digest.update(chunk, 0, n);
                written += n;
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static String sha256(byte[] data) {
        return HexFormat.of().formatHex(sha256Digest().digest(data));
    }

    static String sha256(InputStream in) throws IOException {
        DigestInputStream digesting = new DigestInputStream(in, sha256Digest());
        digesting.transferTo(OutputStream.nullOutputStream());
        return HexFormat.of().formatHex(digesting.getMessageDigest().digest());
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
