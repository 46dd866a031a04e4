package dev.kiln.common.block;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kiln.common.model.Ulid;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * A block's {@code meta.json}: identity, time range, counts, lineage and files. Written last on
 * upload, so its presence marks a complete block. JSON names follow Pyroscope's meta.json where one
 * exists ({@code ulid}, {@code minTime}, {@code maxTime} in ms, {@code stats}, {@code compaction},
 * {@code files[].relPath}, {@code files[].sizeBytes}).
 *
 * @param version    block format version ({@value BlockLayout#FORMAT_VERSION}); readers refuse newer ones
 * @param id         the block's ULID
 * @param minTimeMs  smallest profile timestamp, ms (inclusive)
 * @param maxTimeMs  largest profile timestamp, ms (inclusive)
 * @param rollupWindowsMs the window lengths of the block's rollup (one file each, {@code rollup/1h.parquet} ...), ms,
 *                   ascending, each dividing the next; empty for a block without rollup (every block before rollups existed)
 */
public record BlockMeta(
        @JsonProperty("version") int version,
        @JsonProperty("ulid") String id,
        @JsonProperty("tenant") String tenant,
        @JsonProperty("minTime") long minTimeMs,
        @JsonProperty("maxTime") long maxTimeMs,
        @JsonProperty("stats") Stats stats,
        @JsonProperty("compaction") Compaction compaction,
        @JsonProperty("files") List<FileInfo> files,
        @JsonProperty("rollupWindows") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Long> rollupWindowsMs) {

    /** Counts of the block's contents; {@code numSamples} counts (stack, value) pairs of stored profiles. */
    public record Stats(
            @JsonProperty("numSeries") long numSeries,
            @JsonProperty("numProfiles") long numProfiles,
            @JsonProperty("numSamples") long numSamples) {}

    /**
     * Lineage: level 1 for a block cut from an ingester head, max(input levels) + 1 after a merge.
     *
     * @param sources the level-1 blocks whose data this block holds (itself for a level-1 block)
     * @param parents the blocks merged directly into this one (empty for level 1)
     */
    public record Compaction(
            @JsonProperty("level") int level,
            @JsonProperty("sources") List<String> sources,
            @JsonProperty("parents") List<String> parents) {}

    /** One Parquet file of the block, path relative to the block directory. */
    public record FileInfo(
            @JsonProperty("relPath") String relPath,
            @JsonProperty("sizeBytes") long sizeBytes,
            @JsonProperty("numRows") long numRows,
            @JsonProperty("numRowGroups") int numRowGroups) {}

    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(SerializationFeature.INDENT_OUTPUT);

    public BlockMeta {
        files = List.copyOf(files);
        rollupWindowsMs = rollupWindowsMs == null ? List.of() : List.copyOf(rollupWindowsMs);
    }

    /** Whether the block carries a rollup (written by the compactor). */
    public boolean hasRollup() {
        return !rollupWindowsMs.isEmpty();
    }

    /** The file with this relative path; a {@link BlockCorruptedException} when meta.json does not list it. */
    public FileInfo file(String relPath) {
        for (FileInfo f : files) {
            if (f.relPath().equals(relPath)) {
                return f;
            }
        }
        throw new BlockCorruptedException(tenant + "/" + id, BlockLayout.META, "does not list " + relPath);
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rollup windows must nest (readers combine windows of several lengths) and the rollup file must be listed. */
    private static void checkRollup(BlockMeta m, String block) {
        List<Long> w = m.rollupWindowsMs();
        for (int i = 0; i < w.size(); i++) {
            if (w.get(i) <= 0 || (i > 0 && (w.get(i) <= w.get(i - 1) || w.get(i) % w.get(i - 1) != 0))) {
                throw new BlockCorruptedException(block, BlockLayout.META, "has rollupWindows " + w
                        + "; they must be positive and ascending, each a multiple of the one before");
            }
        }
        for (long window : w) {
            String file = BlockLayout.rollupFile(window);
            if (m.files().stream().noneMatch(f -> f.relPath().equals(file))) {
                throw new BlockCorruptedException(block, BlockLayout.META, "has rollupWindows " + w + " but does not list " + file);
            }
        }
    }

    /**
     * Reads {@code <tenant>/<id>/meta.json} from a store.
     *
     * @throws dev.kiln.common.objstore.NoSuchObjectException when the block has no meta.json (yet)
     */
    public static BlockMeta read(dev.kiln.common.objstore.ObjectStore store, String tenant, String id) {
        return fromJson(store.get(BlockUploader.prefix(tenant, id) + BlockLayout.META), tenant + "/" + id);
    }

    /**
     * Parses and checks a meta.json.
     *
     * @param block {@code <tenant>/<block id>} for error messages
     * @throws BlockCorruptedException when it is not valid JSON, misses a field, or has a newer version
     */
    public static BlockMeta fromJson(byte[] json, String block) {
        BlockMeta m;
        try {
            m = JSON.readValue(json, BlockMeta.class);
        } catch (IOException | RuntimeException e) {
            throw new BlockCorruptedException(block, BlockLayout.META, "is not valid: " + e.getMessage(), e);
        }
        if (m.version() < 1 || m.version() > BlockLayout.FORMAT_VERSION) {
            throw new BlockCorruptedException(block, BlockLayout.META, "has format version " + m.version()
                    + "; this Kiln reads versions 1 to " + BlockLayout.FORMAT_VERSION);
        }
        if (!Ulid.isValid(m.id()) || m.tenant() == null || m.stats() == null || m.compaction() == null) {
            throw new BlockCorruptedException(block, BlockLayout.META, "misses ulid, tenant, stats or compaction");
        }
        checkRollup(m, block);
        return m;
    }
}
