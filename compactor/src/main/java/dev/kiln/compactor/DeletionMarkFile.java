package dev.kiln.compactor;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.common.block.BlockUploader;
import dev.kiln.common.objstore.NoSuchObjectException;
import dev.kiln.common.objstore.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * A block's {@code deletion-mark.json}, in the format Pyroscope and Thanos use (deletion time in
 * Unix seconds), so their bucket tools recognise a Kiln block being deleted. The bucket index
 * carries the same marks for readers; this object stays with the block for operators and tools
 * that list the bucket.
 */
record DeletionMarkFile(@JsonProperty("id") String id, @JsonProperty("deletion_time") long deletionTimeSeconds,
        @JsonProperty("version") int version) {

    static final String NAME = "deletion-mark.json";
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    static String key(String tenant, String blockId) {
        return BlockUploader.prefix(tenant, blockId) + NAME;
    }

    /**
     * Marks the block deleted as of {@code nowMs}, or keeps an existing mark (written by a run that
     * crashed before its index write), so a repeated run does not postpone the deletion.
     *
     * @return the deletion time in ms
     */
    static long mark(ObjectStore store, String tenant, String blockId, long nowMs) {
        Optional<Long> existing = read(store, tenant, blockId);
        if (existing.isPresent()) {
            return existing.get();
        }
        try {
            store.put(key(tenant, blockId), JSON.writeValueAsBytes(new DeletionMarkFile(blockId, nowMs / 1000, 1)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return nowMs;
    }

    /** The deletion time in ms of an existing, readable mark. */
    private static Optional<Long> read(ObjectStore store, String tenant, String blockId) {
        try {
            DeletionMarkFile m = JSON.readValue(store.get(key(tenant, blockId)), DeletionMarkFile.class);
            return blockId.equals(m.id()) ? Optional.of(m.deletionTimeSeconds() * 1000) : Optional.empty();
        } catch (NoSuchObjectException | IOException e) {
            // None, or unreadable: a fresh mark replaces it.
            return Optional.empty();
        }
    }
}
