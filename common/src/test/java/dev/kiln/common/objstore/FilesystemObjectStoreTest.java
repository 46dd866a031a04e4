package dev.kiln.common.objstore;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class FilesystemObjectStoreTest extends ObjectStoreContract {

    @Override
    ObjectStore newStore() {
        return new FilesystemObjectStore(tempDir.resolve("store"));
    }

    private Path root() {
        return ((FilesystemObjectStore) store).root();
    }

    @Test
    void createsAMissingRootDirectory() throws IOException {
        Path root = tempDir.resolve("a/b/storage");

        try (FilesystemObjectStore created = new FilesystemObjectStore(root)) {
            assertEquals(root.toRealPath(), created.root());
        }
    }

    @Test
    void storesKeysAsFilesBelowTheRoot() throws IOException {
        store.put("anonymous/01HHYG6245NWHZWVP27V8WJRT7/meta.json", "{}".getBytes(UTF_8));

        assertEquals("{}", Files.readString(root().resolve("anonymous/01HHYG6245NWHZWVP27V8WJRT7/meta.json")));
    }

    @Test
    void writesLeaveNoTemporaryFiles() throws IOException {
        store.put("t/b/meta.json", new byte[10]);
        store.upload("t/b/profiles.parquet", Files.write(tempDir.resolve("p"), new byte[100]));
        store.put("t/b/meta.json", new byte[20]);

        try (Stream<Path> files = Files.list(root().resolve("t/b"))) {
            assertEquals(List.of("meta.json", "profiles.parquet"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void listingsIgnorePartiallyWrittenTemporaryFiles() throws IOException {
        store.put("t/b1/meta.json", new byte[1]);
        Files.createDirectories(root().resolve("t/b2"));
        Files.write(root().resolve("t/b1/.kiln-tmp-0123456789abcdef"), new byte[5]);
        Files.write(root().resolve("t/b2/.kiln-tmp-fedcba9876543210"), new byte[5]);

        assertEquals(List.of("t/b1/meta.json"), store.list(""));
        assertEquals(List.of("b1"), store.listPrefixes("t/"));
    }

    @Test
    void deletePrefixRemovesStaleTemporaryFilesAndTheDirectories() throws IOException {
        store.put("t/b1/meta.json", new byte[1]);
        Files.write(root().resolve("t/b1/.kiln-tmp-0123456789abcdef"), new byte[5]);

        store.deletePrefix("t/b1/");

        assertFalse(Files.exists(root().resolve("t")));
    }

    @Test
    void deleteRemovesEmptyParentDirectoriesUpToTheRoot() {
        store.put("t/b/symbols/strings.parquet", new byte[1]);
        store.put("u/keep", new byte[1]);

        store.delete("t/b/symbols/strings.parquet");

        assertFalse(Files.exists(root().resolve("t")));
        assertEquals(List.of("u/keep"), store.list(""));
        assertEquals(true, Files.isDirectory(root()));
    }

    @Test
    void aKeyCannotAlsoBeADirectory() {
        store.put("t/b", new byte[1]);
        store.put("u/b/meta.json", new byte[1]);

        ObjectStoreException below = assertThrows(ObjectStoreException.class,
                () -> store.put("t/b/meta.json", new byte[1]));
        assertEquals("cannot store \"t/b/meta.json\": \"t/b\" is an object, and the filesystem backend cannot hold"
                + " a key that is also a prefix of other keys", below.getMessage());
        ObjectStoreException above = assertThrows(ObjectStoreException.class, () -> store.put("u/b", new byte[1]));
        assertEquals("cannot store \"u/b\": \"u/b\" is a prefix of other keys, and the filesystem backend cannot"
                + " hold a key that is also a prefix of other keys", above.getMessage());
        assertEquals(List.of("t/b", "u/b/meta.json"), store.list(""));

        store.delete("t/b/meta.json");
        assertEquals(List.of("t/b", "u/b/meta.json"), store.list(""));
    }

    @Test
    void anOpenStreamKeepsReadingTheContentItOpened() throws IOException {
        store.put("t/index.json", "old content".getBytes(UTF_8));

        try (InputStream in = store.open("t/index.json")) {
            store.put("t/index.json", "new".getBytes(UTF_8));
            store.delete("t/index.json");

            assertEquals("old content", new String(in.readAllBytes(), UTF_8));
        }
    }
}
