package dev.kiln.common.objstore;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A flat key/value object store: the shared storage for blocks ({@code <tenant>/<block ULID>/meta.json}
 * plus Parquet files), per-tenant bucket indexes and deletion marks.
 *
 * <p>Keys are {@code /}-separated relative paths such as {@code anonymous/01HHYG6245NWHZWVP27V8WJRT7/meta.json}.
 * Every method validates its key or prefix and throws {@link IllegalArgumentException} naming the problem
 * (empty, leading {@code /}, empty segment, {@code .} or {@code ..} segment, control character, longer than
 * 1024 UTF-8 bytes, or a segment starting with the reserved {@code .kiln-tmp-}).
 *
 * <p>Writes replace the whole object atomically: a reader sees the old or the new content, never a mix.
 * Listings are in lexicographic order of the keys' UTF-8 bytes (S3's order), whatever the backend.
 * Storage failures surface as the unchecked {@link ObjectStoreException}; a missing object as its
 * subclass {@link NoSuchObjectException}.
 */
public interface ObjectStore extends AutoCloseable {

    /** Stores {@code data} under {@code key}, replacing any existing object. */
    void put(String key, byte[] data);

    /**
     * Stores the content of {@code file} under {@code key}, replacing any existing object. Large files are
     * streamed (S3: multipart upload above the configured part size), never loaded into memory whole.
     */
    void upload(String key, Path file);

    /** Returns the whole object; throws {@link NoSuchObjectException} if it does not exist. */
    byte[] get(String key);

    /**
     * Returns up to {@code length} bytes starting at {@code offset}: fewer if the object ends first, none if
     * {@code offset} is at or past its end. Throws {@link NoSuchObjectException} if the object does not exist.
     */
    byte[] getRange(String key, long offset, int length);

    /** Opens the object for streaming; the caller closes the stream. Throws {@link NoSuchObjectException}. */
    InputStream open(String key);

    /** Size and modification time of the object, or empty if it does not exist. */
    Optional<ObjectAttributes> stat(String key);

    /**
     * All keys that start with {@code prefix} (a plain string prefix, as in S3; {@code ""} lists everything),
     * recursively, in lexicographic order.
     */
    List<String> list(String prefix);

    /**
     * The names of the "directories" directly below {@code directory} (which is {@code ""} or ends with
     * {@code /}), without the directory and without a trailing slash, in lexicographic order. For example
     * {@code listPrefixes("")} returns tenant ids and {@code listPrefixes("anonymous/")} block ids.
     */
    List<String> listPrefixes(String directory);

    /** Deletes the object; deleting a missing object is not an error (as in S3). */
    void delete(String key);

    /**
     * Deletes every object below {@code directory}, which must be non-empty and end with {@code /} so a
     * block id cannot accidentally match the start of another one.
     */
    void deletePrefix(String directory);

    /** Releases clients and threads; storage failures while closing are not reported. */
    @Override
    void close();
}
