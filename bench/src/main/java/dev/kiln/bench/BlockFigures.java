package dev.kiln.bench;

import dev.kiln.common.block.BlockMerger;
import dev.kiln.common.block.BlockMeta;
import dev.kiln.common.block.BlockWriterConfig;
import dev.kiln.common.block.ParquetBlock;
import dev.kiln.common.model.ProfileTypeId;
import dev.kiln.common.model.Ulid;
import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.query.SelectionSpec;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.selector.LabelMatcher;
import dev.kiln.common.selector.Selector;
import dev.kiln.common.tree.CallTree;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * Figures over the blocks Kiln flushed to its filesystem object store: bytes per sample on disk
 * (as flushed, and after merging them into one block as the compactor does), and the aggregation
 * step of a flame graph over the block data against DuckDB grouping the same rows of the same
 * profiles.parquet files.
 */
final class BlockFigures {
    // file names of the block layout (docs/block-format.md)
    private static final String META = "meta.json";
    private static final String SERIES = "series.parquet";
    private static final String PROFILES = "profiles.parquet";

    private final FilesystemObjectStore store;
    private final List<ParquetBlock> blocks = new ArrayList<>();

    BlockFigures(Path storageDir) {
        store = new FilesystemObjectStore(storageDir);
        for (String key : store.list("")) {
            String[] parts = key.split("/");
            if (parts.length == 3 && parts[2].equals(META)) {
                blocks.add(ParquetBlock.open(store, BlockMeta.read(store, parts[0], parts[1])));
            }
        }
        if (blocks.isEmpty()) {
            throw new IllegalStateException("no flushed blocks under " + storageDir);
        }
    }

    int blockCount() {
        return blocks.size();
    }

    long samples() {
        return blocks.stream().mapToLong(b -> b.meta().stats().numSamples()).sum();
    }

    long bytes() {
        return blocks.stream().mapToLong(b -> bytes(b.meta())).sum();
    }

    /** Merges all blocks into one in {@code dir}, as the compactor would; returns its bytes per sample. */
    double compactedBytesPerSample(Path dir) throws IOException {
        BlockMeta merged = BlockMerger.merge(blocks, dir, Ulid.generate(), BlockWriterConfig.DEFAULTS, false);
        return bytes(merged) / (double) merged.stats().numSamples();
    }

    /** Bytes of the symbol tables (symbols/*.parquet) of all blocks. */
    long symbolBytes() {
        return blocks.stream().flatMap(b -> b.meta().files().stream()).filter(f -> f.relPath().startsWith("symbols/"))
                .mapToLong(BlockMeta.FileInfo::sizeBytes).sum();
    }

    private static long bytes(BlockMeta meta) {
        return meta.files().stream().mapToLong(BlockMeta.FileInfo::sizeBytes).sum();
    }

    /**
     * @param kilnMillis   best wall time of {@link ParquetBlock#mergeTree} over every block (CPU profile type, all series),
     *                     on one thread, symbols already loaded; includes resolving stack ids into the call tree
     * @param duckDbMillis best wall time of DuckDB (one thread) grouping the same rows by stack id
     * @param kilnTotal    the call tree's total
     * @param duckDbTotal  the sum of DuckDB's groups: equal to {@code kilnTotal} when both read the same rows
     */
    record Aggregation(double kilnMillis, double duckDbMillis, long kilnTotal, long duckDbTotal) {}

    Aggregation aggregation(int runs) throws SQLException {
        SelectionSpec cpu = new SelectionSpec(TimeRange.ALL, ProfileTypeId.parse(Workload.CPU_TYPE),
                Selector.ALL.with(LabelMatcher.eq("__profile_type__", Workload.CPU_TYPE)), null, null);
        double kilnBest = Double.MAX_VALUE;
        long kilnTotal = 0;
        for (int r = 0; r <= runs; r++) {   // run 0 loads the symbols and is not counted
            long t0 = System.nanoTime();
            long total = 0;
            for (ParquetBlock b : blocks) {
                CallTree tree = new CallTree();
                b.mergeTree(cpu, tree);
                total += tree.total();
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            if (r > 0) {
                kilnBest = Math.min(kilnBest, ms);
            }
            kilnTotal = total;
        }
        try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement st = db.createStatement()) {
            st.execute("SET threads = 1");
            List<String> queries = new ArrayList<>();
            for (ParquetBlock b : blocks) {
                queries.add(duckDbQuery(st, store.root().resolve(b.meta().tenant()).resolve(b.meta().id())));
            }
            double duckBest = Double.MAX_VALUE;
            long duckTotal = 0;
            for (int r = 0; r <= runs; r++) {   // run 0 warms DuckDB's file and metadata caches, as run 0 does for Kiln
                long t0 = System.nanoTime();
                long total = 0;
                for (String q : queries) {
                    try (ResultSet rs = st.executeQuery(q)) {
                        while (rs.next()) {
                            total += rs.getLong(2);
                        }
                    }
                }
                double ms = (System.nanoTime() - t0) / 1e6;
                if (r > 0) {
                    duckBest = Math.min(duckBest, ms);
                }
                duckTotal = total;
            }
            return new Aggregation(kilnBest, duckBest, kilnTotal, duckTotal);
        }
    }

    /** {@code SELECT stack_id, sum(value) … GROUP BY 1} over the block's CPU series (the rows the flame graph reads). */
    private static String duckDbQuery(Statement st, Path block) throws SQLException {
        StringJoiner cpuSeries = new StringJoiner(", ", "(", ")");
        try (ResultSet rs = st.executeQuery("SELECT series_index FROM read_parquet('" + block.resolve(SERIES)
                + "') WHERE labels['__profile_type__'] = '" + Workload.CPU_TYPE + "'")) {
            while (rs.next()) {
                cpuSeries.add(Integer.toString(rs.getInt(1)));
            }
        }
        return "SELECT u.s.stack_id, sum(u.s.value) FROM read_parquet('" + block.resolve(PROFILES)
                + "'), unnest(samples) AS u(s) WHERE series_index IN " + cpuSeries + " GROUP BY 1";
    }
}
