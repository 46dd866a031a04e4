package dev.kiln.common.objstore;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link ObjectStore} in a local directory: key {@code a/b/c} is the file {@code <root>/a/b/c}. Meant for
 * single-process deployments and tests, or a shared POSIX filesystem.
 *
 * <ul>
 *   <li>Writes go to a temporary file {@code .kiln-tmp-*} in the target directory, are fsynced, renamed over the
 *       target atomically, and the directory is fsynced, so after a crash a key holds either its old or its new
 *       content. Listings ignore temporary files; {@link #deletePrefix} removes stale ones.</li>
 *   <li>Deletes remove directories that become empty, up to the root, so listings of "directories" stay in
 *       step with S3, which has none.</li>
 *   <li>Unlike S3, a key cannot also be a directory: after storing {@code a/b}, storing {@code a/b/c} fails
 *       with an {@link ObjectStoreException}, and vice versa. Kiln's layout never needs both.</li>
 * </ul>
 */
public final class FilesystemObjectStore implements ObjectStore {
    private static final Logger log = LoggerFactory.getLogger(FilesystemObjectStore.class);

    /**
     * A concurrent delete may remove an empty directory between creating it and creating the temporary file
     * in it (or remove the temporary file with {@link #deletePrefix}); the write is then simply repeated.
     */
    private static final int MAX_WRITE_ATTEMPTS = 5;

    private final Path root;

    /** Uses {@code root} as the store, creating it if needed. */
    public FilesystemObjectStore(Path root) {
        try {
            Files.createDirectories(root);
            this.root = root.toRealPath();
        } catch (IOException e) {
            throw new ObjectStoreException("cannot create storage directory " + root + ": " + e.getMessage(), e);
        }
    }

    public Path root() {
        return root;
    }

    @Override
    public void put(String key, byte[] data) {
        write(key, target -> {
            ByteBuffer buffer = ByteBuffer.wrap(data);
            while (buffer.hasRemaining()) {
                target.write(buffer);
            }
        });
    }

    @Override
    public void upload(String key, Path file) {
        ObjectKeys.requireKey(key);
        try (FileChannel source = FileChannel.open(file, READ)) {
            write(key, target -> {
                long size = source.size();
                for (long position = 0; position < size; ) {
                    position += source.transferTo(position, size - position, target);
                }
            });
        } catch (IOException e) {
            throw new ObjectStoreException("cannot read upload source " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] get(String key) {
        Path path = pathOf(key);
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw readFailure(key, path, e);
        }
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        Path path = pathOf(key);
        ObjectKeys.requireRange(offset, length);
        try (FileChannel channel = openObject(key, path)) {
            long size = channel.size();
            if (offset >= size || length == 0) {
                return new byte[0];
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(length, size - offset));
            while (buffer.hasRemaining() && channel.read(buffer, offset + buffer.position()) >= 0) {
                // positional reads until the range is filled or the file ends
            }
            return buffer.position() == buffer.capacity()
                    ? buffer.array()
                    : Arrays.copyOf(buffer.array(), buffer.position());
        } catch (IOException e) {
            throw readFailure(key, path, e);
        }
    }

    @Override
    public InputStream open(String key) {
        Path path = pathOf(key);
        try {
            return Channels.newInputStream(openObject(key, path));
        } catch (IOException e) {
            throw readFailure(key, path, e);
        }
    }

    @Override
    public Optional<ObjectAttributes> stat(String key) {
        Path path = pathOf(key);
        try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            return attributes.isRegularFile()
                    ? Optional.of(new ObjectAttributes(attributes.size(), attributes.lastModifiedTime().toInstant()))
                    : Optional.empty();
        } catch (IOException e) {
            ObjectStoreException failure = readFailure(key, path, e);
            if (failure instanceof NoSuchObjectException) {
                return Optional.empty();
            }
            throw failure;
        }
    }

    @Override
    public List<String> list(String prefix) {
        ObjectKeys.requirePrefix(prefix);
        int lastSlash = prefix.lastIndexOf('/');
        Path start = lastSlash < 0 ? root : root.resolve(prefix.substring(0, lastSlash));
        List<String> keys = new ArrayList<>();
        walk(start, prefix, keys::add);
        keys.sort(ObjectKeys.UTF8_ORDER);
        return keys;
    }

    @Override
    public List<String> listPrefixes(String directory) {
        ObjectKeys.requireDirectory(directory, true);
        Path dir = directory.isEmpty() ? root : root.resolve(directory.substring(0, directory.length() - 1));
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS) && containsObject(entry)) {
                    names.add(entry.getFileName().toString());
                }
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            return List.of();
        } catch (IOException e) {
            throw new ObjectStoreException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        names.sort(ObjectKeys.UTF8_ORDER);
        return names;
    }

    @Override
    public void delete(String key) {
        Path path = pathOf(key);
        try {
            // a directory is not an object, and deleteIfExists would remove it if empty
            if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS) && Files.deleteIfExists(path)) {
                removeEmptyDirectories(path.getParent());
            }
        } catch (IOException e) {
            if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                throw new ObjectStoreException("cannot delete " + path + ": " + e.getMessage(), e);
            }
            // a parent is a file ("Not a directory"): the key does not exist, and deleting it is a no-op
        }
    }

    @Override
    public void deletePrefix(String directory) {
        ObjectKeys.requireDirectory(directory, false);
        Path dir = root.resolve(directory.substring(0, directory.length() - 1));
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new ConcurrentDeleteTolerantVisitor() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                FileVisitResult afterDirectory(Path visited) throws IOException {
                    try {
                        Files.deleteIfExists(visited);
                    } catch (DirectoryNotEmptyException raced) {
                        // a concurrent write landed after we emptied it; that object is newer than the delete
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new ObjectStoreException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
        removeEmptyDirectories(dir.getParent());
    }

    @Override
    public void close() {
        // nothing to release: every operation opens and closes its own files
    }

    @Override
    public String toString() {
        return "FilesystemObjectStore[" + root + "]";
    }

    /** Writes the content of one object; may be called again when a write attempt has to be repeated. */
    @FunctionalInterface
    private interface ContentWriter {
        void writeTo(FileChannel target) throws IOException;
    }

    private void write(String key, ContentWriter content) {
        Path target = pathOf(key);
        Path dir = target.getParent();
        for (int attempt = 1; ; attempt++) {
            try {
                List<Path> changedDirectories = createDirectories(key, dir);
                if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw keyAndDirectoryConflict(key, key);
                }
                Path temp = dir.resolve(ObjectKeys.TEMP_FILE_PREFIX
                        + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()));
                try {
                    try (FileChannel channel = FileChannel.open(temp, CREATE_NEW, WRITE)) {
                        content.writeTo(channel);
                        channel.force(true);
                    }
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException | RuntimeException e) {
                    Files.deleteIfExists(temp);
                    throw e;
                }
                fsync(dir);
                for (Path changed : changedDirectories) {
                    fsync(changed);
                }
                return;
            } catch (NoSuchFileException e) {
                if (attempt == MAX_WRITE_ATTEMPTS) {
                    throw new ObjectStoreException("cannot write " + target + ": directories kept disappearing"
                            + " under concurrent deletes (" + e.getMessage() + ")", e);
                }
            } catch (IOException e) {
                throw new ObjectStoreException("cannot write " + target + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Creates {@code dir} and its missing ancestors. Returns the directories whose entries changed, which need
     * an fsync for the new directories to survive a crash.
     */
    private List<Path> createDirectories(String key, Path dir) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = dir; !p.equals(root) && !Files.isDirectory(p); p = p.getParent()) {
            missing.push(p);
        }
        List<Path> changed = new ArrayList<>();
        for (Path p : missing) {
            try {
                Files.createDirectory(p);
                changed.add(p.getParent());
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(p)) {
                    throw keyAndDirectoryConflict(key, keyOf(p));
                }
            }
        }
        return changed;
    }

    private static ObjectStoreException keyAndDirectoryConflict(String key, String existing) {
        return new ObjectStoreException("cannot store \"" + key + "\": \"" + existing + "\" is "
                + (key.equals(existing) ? "a prefix of other keys" : "an object")
                + ", and the filesystem backend cannot hold a key that is also a prefix of other keys");
    }

    private static void fsync(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, READ)) {
            channel.force(true);
        }
    }

    /** Removes {@code dir} and its ancestors below the root while they are empty. */
    private void removeEmptyDirectories(Path dir) {
        for (Path p = dir; p != null && !p.equals(root) && p.startsWith(root); p = p.getParent()) {
            try {
                Files.delete(p);
            } catch (DirectoryNotEmptyException | NoSuchFileException e) {
                return;
            } catch (IOException e) {
                log.atWarn().addKeyValue("dir", p).addKeyValue("error", e.toString())
                        .log("cannot remove empty storage directory");
                return;
            }
        }
    }

    /** Reports the keys below {@code start} that begin with {@code prefix} until {@code onKey} returns false. */
    private void walk(Path start, String prefix, Predicate<String> onKey) {
        try {
            Files.walkFileTree(start, new ConcurrentDeleteTolerantVisitor() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                    if (dir.equals(start)) {
                        return FileVisitResult.CONTINUE;
                    }
                    String dirPrefix = keyOf(dir) + "/";
                    boolean mayMatch = dirPrefix.startsWith(prefix) || prefix.startsWith(dirPrefix);
                    return mayMatch ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                    if (!attributes.isRegularFile()
                            || file.getFileName().toString().startsWith(ObjectKeys.TEMP_FILE_PREFIX)) {
                        return FileVisitResult.CONTINUE;
                    }
                    String key = keyOf(file);
                    if (key.startsWith(prefix) && !onKey.test(key)) {
                        return FileVisitResult.TERMINATE;
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new ObjectStoreException("cannot list " + start + ": " + e.getMessage(), e);
        }
    }

    /**
     * A tree walk in which files and directories may vanish under concurrent deletes; that is not an error,
     * just a smaller result.
     */
    private abstract static class ConcurrentDeleteTolerantVisitor extends SimpleFileVisitor<Path> {
        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            return continueIfGone(e);
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            return e == null ? afterDirectory(dir) : continueIfGone(e);
        }

        /** Called once all entries of {@code dir} have been visited. */
        FileVisitResult afterDirectory(Path dir) throws IOException {
            return FileVisitResult.CONTINUE;
        }

        private static FileVisitResult continueIfGone(IOException e) throws IOException {
            if (e instanceof NoSuchFileException || e instanceof NotDirectoryException) {
                return FileVisitResult.CONTINUE;
            }
            throw e;
        }
    }

    private boolean containsObject(Path dir) {
        boolean[] found = {false};
        walk(dir, keyOf(dir) + "/", key -> {
            found[0] = true;
            return false;
        });
        return found[0];
    }

    private Path pathOf(String key) {
        return root.resolve(ObjectKeys.requireKey(key));
    }

    private String keyOf(Path path) {
        return root.relativize(path).toString().replace(File.separatorChar, '/');
    }

    private static FileChannel openObject(String key, Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, READ);
        // opening a directory for reading succeeds on Linux; only reading from it fails
        if (Files.isDirectory(path)) {
            channel.close();
            throw new NoSuchObjectException(key, path.toString());
        }
        return channel;
    }

    /** A read failed: a missing file, or a path that is a directory or runs through a file, means no object. */
    private static ObjectStoreException readFailure(String key, Path path, IOException e) {
        if (!Files.isRegularFile(path)) {
            return new NoSuchObjectException(key, path.toString());
        }
        return new ObjectStoreException("cannot read " + path + ": " + e.getMessage(), e);
    }
}
