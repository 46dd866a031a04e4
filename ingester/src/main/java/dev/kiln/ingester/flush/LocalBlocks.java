package dev.kiln.ingester.flush;

import dev.kiln.common.block.BlockUploader;
import dev.kiln.common.block.ParquetBlock;
import dev.kiln.common.objstore.FilesystemObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingester's copies of the blocks it flushed, under {@code <data_path>/blocks/<tenant>/<id>/}.
 * They answer queries for the recent hours (the ingester side of {@code query_store_after}) from
 * local disk while object storage and store-gateways catch up. A block is written here first,
 * then uploaded; the {@code uploaded} marker records that the upload finished, so on restart a
 * block without it is dropped (the write-ahead log still holds its data and flushes it again).
 */
public final class LocalBlocks {
    private static final Logger log = LoggerFactory.getLogger(LocalBlocks.class);
    static final String UPLOADED_MARKER = "uploaded";

    private final Path root;
    private final FilesystemObjectStore store;
    private final Map<String, ParquetBlock> blocks = new ConcurrentHashMap<>(); // "<tenant>/<id>" -> block

    public LocalBlocks(Path root) {
        this.root = root;
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create local block directory " + root, e);
        }
        this.store = new FilesystemObjectStore(root);
    }

    /**
     * Opens every uploaded block and deletes unfinished ones. Returns the ids of the opened
     * blocks: the write-ahead log must not replay them into the head again.
     */
    public Set<String> load() throws IOException {
        Set<String> ids = new HashSet<>();
        try (Stream<Path> tenants = Files.list(root)) {
            for (Path tenantDir : tenants.filter(Files::isDirectory).toList()) {
                try (Stream<Path> dirs = Files.list(tenantDir)) {
                    for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                        String tenant = tenantDir.getFileName().toString();
                        String id = dir.getFileName().toString();
                        if (Files.exists(dir.resolve(UPLOADED_MARKER))) {
                            blocks.put(key(tenant, id), ParquetBlock.open(store, tenant, id));
                            ids.add(id);
                        } else {
                            log.atInfo().addKeyValue("tenant", tenant).addKeyValue("block", id)
                                    .log("dropping unfinished local block; the write-ahead log replays its data");
                            deleteTree(dir);
                        }
                    }
                }
            }
        }
        return ids;
    }

    /** The directory a new block of {@code tenant} is written to. */
    public Path dirFor(String tenant, String id) {
        return root.resolve(tenant).resolve(id);
    }

    /**
     * Serves a block written to {@link #dirFor} from now on. Its symbols are loaded and resolved
     * first, on the flushing thread, so the queries moving from the head block to it stay as fast.
     */
    public ParquetBlock add(String tenant, String id) {
        ParquetBlock b = ParquetBlock.open(store, tenant, id);
        b.warm();
        blocks.put(key(tenant, id), b);
        return b;
    }

    /** Records that the block is in object storage (made durable before the WAL forgets it). */
    public void markUploaded(String tenant, String id) throws IOException {
        Path marker = dirFor(tenant, id).resolve(UPLOADED_MARKER);
        Files.write(marker, new byte[0]);
        try (var ch = java.nio.channels.FileChannel.open(marker, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    public boolean isUploaded(String tenant, String id) {
        return Files.exists(dirFor(tenant, id).resolve(UPLOADED_MARKER));
    }

    public List<ParquetBlock> blocks(String tenant) {
        List<ParquetBlock> out = new ArrayList<>();
        for (ParquetBlock b : blocks.values()) {
            if (b.meta().tenant().equals(tenant)) {
                out.add(b);
            }
        }
        return out;
    }

    public List<ParquetBlock> all() {
        return new ArrayList<>(blocks.values());
    }

    /** Deletes uploaded blocks whose newest profile is older than {@code cutoffMs}. */
    public int expire(long cutoffMs) {
        int n = 0;
        for (ParquetBlock b : all()) {
            String tenant = b.meta().tenant();
            String id = b.meta().id();
            if (b.maxTimeMs() < cutoffMs && isUploaded(tenant, id)) {
                blocks.remove(key(tenant, id));
                deleteTree(dirFor(tenant, id));
                n++;
            }
        }
        return n;
    }

    private static String key(String tenant, String id) {
        return BlockUploader.prefix(tenant, id);
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
