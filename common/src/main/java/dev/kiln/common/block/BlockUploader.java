package dev.kiln.common.block;

import dev.kiln.common.objstore.ObjectStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships a block directory written by {@link BlockWriter} to {@code <tenant>/<block id>/...} in an
 * object store. Data files go first and meta.json last: readers and the compactor treat a block
 * without meta.json as incomplete, so a crash mid-upload never exposes a partial block.
 */
public final class BlockUploader {
    private static final Logger log = LoggerFactory.getLogger(BlockUploader.class);

    private BlockUploader() {}

    /** The object-store directory of a block, ending with {@code /}. */
    public static String prefix(String tenant, String blockId) {
        return tenant + "/" + blockId + "/";
    }

    /**
     * Uploads the block in {@code dir} and returns its meta.
     *
     * @throws BlockCorruptedException when a local file's size differs from what meta.json says
     */
    public static BlockMeta upload(ObjectStore store, Path dir) throws IOException {
        byte[] json = Files.readAllBytes(dir.resolve(BlockLayout.META));
        BlockMeta meta = BlockMeta.fromJson(json, dir.toString());
        String prefix = prefix(meta.tenant(), meta.id());
        long bytes = json.length;
        for (BlockMeta.FileInfo f : meta.files()) {
            Path file = dir.resolve(f.relPath());
            long size = Files.size(file);
            if (size != f.sizeBytes()) {
                throw new BlockCorruptedException(meta.tenant() + "/" + meta.id(), f.relPath(),
                        "is " + size + " bytes on local disk, but meta.json says " + f.sizeBytes());
            }
            store.upload(prefix + f.relPath(), file);
            bytes += size;
        }
        store.put(prefix + BlockLayout.META, json);
        log.atInfo().addKeyValue("tenant", meta.tenant()).addKeyValue("block", meta.id()).addKeyValue("bytes", bytes)
                .log("uploaded block");
        return meta;
    }
}
