package dev.kiln.common.block;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.common.objstore.NoSuchObjectException;
import dev.kiln.common.objstore.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * A tenant's list of blocks, {@code <tenant>/bucket-index.json.gz}, written by the compactor
 * after every change so store-gateways and queriers find blocks with one read instead of
 * listing the bucket (which is slow and costs money on S3). Blocks marked for deletion stay
 * listed with their mark until they are gone, so readers stop using them before the files
 * disappear.
 *
 * @param updatedAtMs when the compactor wrote it
 * @param blocks      complete blocks (meta.json present), including those marked for deletion
 * @param deletionMarks blocks to stop querying; deleted from storage after the deletion delay
 */
public record BucketIndex(
        @JsonProperty("version") int version,
        @JsonProperty("updatedAt") long updatedAtMs,
        @JsonProperty("blocks") List<BlockMeta> blocks,
        @JsonProperty("deletionMarks") List<DeletionMark> deletionMarks) {

    public static final String FILE = "bucket-index.json.gz";
    public static final int VERSION = 1;

    /** A block that is being replaced (compaction) or expired (retention). */
    public record DeletionMark(@JsonProperty("id") String id, @JsonProperty("deletionTime") long deletionTimeMs) {}

    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public BucketIndex {
        blocks = List.copyOf(blocks);
        deletionMarks = List.copyOf(deletionMarks);
    }

    public static String key(String tenant) {
        return tenant + "/" + FILE;
    }

    /** The blocks queries should read: complete and not marked for deletion. */
    public List<BlockMeta> queryableBlocks() {
        List<BlockMeta> out = new ArrayList<>();
        for (BlockMeta b : blocks) {
            if (deletionMarks.stream().noneMatch(m -> m.id().equals(b.id()))) {
                out.add(b);
            }
        }
        return out;
    }

    public void write(ObjectStore store, String tenant) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            JSON.writeValue(gz, this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        store.put(key(tenant), out.toByteArray());
    }

    /**
     * The blocks of {@code tenant} that queries should read: from its bucket index, or, for a tenant
     * the compactor has not indexed yet, by listing its complete blocks (meta.json is uploaded last,
     * so a block without one is still being uploaded and is skipped).
     */
    public static List<BlockMeta> queryableBlocks(ObjectStore store, String tenant) {
        Optional<BucketIndex> index = read(store, tenant);
        if (index.isPresent()) {
            return index.get().queryableBlocks();
        }
        List<BlockMeta> out = new ArrayList<>();
        for (String id : store.listPrefixes(tenant + "/")) {
            try {
                out.add(BlockMeta.read(store, tenant, id));
            } catch (NoSuchObjectException e) {
                // Upload in progress.
            }
        }
        return out;
    }

    /** The tenant's index, or empty when the compactor has not written one yet. */
    public static Optional<BucketIndex> read(ObjectStore store, String tenant) {
        byte[] data;
        try {
            data = store.get(key(tenant));
        } catch (NoSuchObjectException e) {
            return Optional.empty();
        }
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(data))) {
            BucketIndex index = JSON.readValue(in, BucketIndex.class);
            if (index.version() != VERSION) {
                throw new BlockCorruptedException(tenant, FILE, "has version " + index.version() + "; this Kiln reads " + VERSION);
            }
            return Optional.of(index);
        } catch (IOException e) {
            throw new BlockCorruptedException(tenant, FILE, "is not valid: " + e.getMessage(), e);
        }
    }
}
