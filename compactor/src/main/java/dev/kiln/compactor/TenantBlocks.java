package dev.kiln.compactor;

import dev.kiln.common.block.BlockCorruptedException;
import dev.kiln.common.block.BlockMeta;
import dev.kiln.common.block.BlockUploader;
import dev.kiln.common.block.BucketIndex;
import dev.kiln.common.model.Ulid;
import dev.kiln.common.objstore.NoSuchObjectException;
import dev.kiln.common.objstore.ObjectStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the compactor knows of one tenant's blocks: the complete ones with their meta, and which are
 * marked for deletion since when. It starts from the tenant's bucket index and is kept in step with
 * the bucket by listing block directories, so a run reads only the meta.json of new blocks.
 *
 * <p>Deletion marks can always be derived again from the blocks themselves: a block is replaced
 * when another block holds all of its source blocks' data, and expired when it is older than the
 * retention. So a lost, damaged or stale index (a crash after uploading a merged block but before
 * writing the index) converges on the next run without counting any profile twice.
 */
final class TenantBlocks {
    private static final Logger log = LoggerFactory.getLogger(TenantBlocks.class);
    private static final String META = "meta.json";

    final String tenant;
    private final Map<String, BlockMeta> blocks = new TreeMap<>();
    private final Map<String, Long> marks = new TreeMap<>();
    /** Block directories whose meta.json cannot be parsed: logged once, then left alone. */
    private final Set<String> unreadable = new HashSet<>();
    private boolean hasIndex;
    private boolean changed;

    private TenantBlocks(String tenant) {
        this.tenant = tenant;
    }

    /** The tenant's state as its bucket index records it; empty (to be rebuilt by listing) without a readable index. */
    static TenantBlocks load(ObjectStore store, String tenant) {
        TenantBlocks t = new TenantBlocks(tenant);
        try {
            BucketIndex.read(store, tenant).ifPresent(index -> {
                index.blocks().forEach(b -> t.blocks.put(b.id(), b));
                index.deletionMarks().forEach(m -> t.marks.put(m.id(), m.deletionTimeMs()));
                t.hasIndex = true;
            });
        } catch (BlockCorruptedException e) {
            log.atWarn().addKeyValue("tenant", tenant).addKeyValue("err", e.getMessage())
                    .log("bucket index unreadable; rebuilding it from the bucket");
            t.hasIndex = true;
            t.changed = true;
        }
        return t;
    }

    /**
     * Lists the tenant's block directories: reads the meta.json of blocks not seen before (a
     * directory without one is an upload in progress, left alone until it completes) and forgets
     * blocks that are gone.
     */
    void sync(ObjectStore store) {
        Set<String> listed = new HashSet<>();
        for (String id : store.listPrefixes(tenant + "/")) {
            if (Ulid.isValid(id)) {
                listed.add(id);
            }
        }
        Set<String> known = new HashSet<>(blocks.keySet());
        known.addAll(marks.keySet());
        for (String id : known) {
            if (!listed.contains(id)) {
                log.atInfo().addKeyValue("tenant", tenant).addKeyValue("block", id).log("block gone from the bucket; dropped from the index");
                remove(id);
            }
        }
        unreadable.retainAll(listed);
        for (String id : listed) {
            if (!blocks.containsKey(id) && !unreadable.contains(id)) {
                discover(store, id);
            }
        }
    }

    private void discover(ObjectStore store, String id) {
        String block = tenant + "/" + id;
        byte[] json;
        try {
            json = store.get(BlockUploader.prefix(tenant, id) + META);
        } catch (NoSuchObjectException e) {
            return;
        }
        try {
            BlockMeta meta = BlockMeta.fromJson(json, block);
            if (!meta.id().equals(id) || !meta.tenant().equals(tenant)) {
                throw new BlockCorruptedException(block, META, "names block " + meta.tenant() + "/" + meta.id());
            }
            blocks.put(id, meta);
            changed = true;
            log.atInfo().addKeyValue("tenant", tenant).addKeyValue("block", id).addKeyValue("level", meta.compaction().level())
                    .addKeyValue("minTime", meta.minTimeMs()).addKeyValue("maxTime", meta.maxTimeMs()).log("discovered block");
        } catch (BlockCorruptedException e) {
            unreadable.add(id);
            log.atWarn().addKeyValue("tenant", tenant).addKeyValue("block", id).addKeyValue("err", e.getMessage())
                    .log("block has an unreadable meta.json; leaving it alone");
        }
    }

    /** Complete blocks not marked for deletion: what queries read and what may be merged. */
    List<BlockMeta> queryable() {
        List<BlockMeta> out = new ArrayList<>();
        for (BlockMeta b : blocks.values()) {
            if (!marks.containsKey(b.id())) {
                out.add(b);
            }
        }
        return out;
    }

    /**
     * Unmarked blocks whose data another block also holds: its sources include all of theirs
     * (a merge that was uploaded but not yet recorded in the index, or an input uploaded again).
     * Of two blocks with equal sources the one with the smaller id is replaced.
     */
    List<BlockMeta> replaced() {
        Map<String, List<BlockMeta>> bySource = new HashMap<>();
        for (BlockMeta b : blocks.values()) {
            for (String s : b.compaction().sources()) {
                bySource.computeIfAbsent(s, k -> new ArrayList<>()).add(b);
            }
        }
        List<BlockMeta> out = new ArrayList<>();
        for (BlockMeta a : queryable()) {
            List<String> sources = a.compaction().sources();
            for (BlockMeta b : bySource.getOrDefault(sources.isEmpty() ? a.id() : sources.get(0), List.of())) {
                Set<String> bSources = new HashSet<>(b.compaction().sources());
                boolean covers = bSources.containsAll(sources)
                        && (bSources.size() > sources.size() || b.id().compareTo(a.id()) > 0);
                if (b != a && covers) {
                    out.add(a);
                    break;
                }
            }
        }
        return out;
    }

    Map<String, Long> marks() {
        return Map.copyOf(marks);
    }

    BlockMeta meta(String id) {
        return blocks.get(id);
    }

    void add(BlockMeta meta) {
        blocks.put(meta.id(), meta);
        changed = true;
    }

    void mark(String id, long deletionTimeMs) {
        marks.put(id, deletionTimeMs);
        changed = true;
    }

    void remove(String id) {
        blocks.remove(id);
        marks.remove(id);
        changed = true;
    }

    /** Whether the index in the bucket differs from this state. */
    boolean changed() {
        return changed;
    }

    /** Whether the tenant has a bucket index (or needs one): directories without blocks never get one. */
    boolean indexed() {
        return hasIndex || !blocks.isEmpty();
    }

    /** Writes the state as the tenant's bucket index, in one put: readers see all of a change or none. */
    void writeIndex(ObjectStore store, long nowMs) {
        List<BucketIndex.DeletionMark> deletionMarks = new ArrayList<>();
        marks.forEach((id, time) -> deletionMarks.add(new BucketIndex.DeletionMark(id, time)));
        new BucketIndex(BucketIndex.VERSION, nowMs, List.copyOf(blocks.values()), deletionMarks).write(store, tenant);
        hasIndex = true;
        changed = false;
    }
}
