package dev.kiln.common.block;

import static dev.kiln.common.block.TestData.ALLOC;
import static dev.kiln.common.block.TestData.CPU;
import static dev.kiln.common.block.TestData.labels;
import static dev.kiln.common.block.TestData.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.symbols.SymbolTable;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A standard Parquet reader (DuckDB) reads every file of an uploaded block, finds the row counts,
 * row groups and sample counts meta.json states, and can resolve stack ids to function names
 * through the symbol tables (row number = id).
 */
class BlockDuckDbTest {
    @TempDir
    Path tmp;

    @Test
    void duckDbReadsTheBlockAsMetaJsonDescribesIt() throws Exception {
        SymbolTable t = new SymbolTable();
        int b = stack(t, "main", "a", "b");
        int c = stack(t, "main", "a", "c");
        int d = stack(t, "main", "d");
        FilesystemObjectStore store = new FilesystemObjectStore(tmp.resolve("store"));
        BlockMeta meta = TestData.writeAndOpen(tmp, store, "t", List.of(
                new TestData.SeriesBuilder(labels(CPU, "api")).profile(1000, "p1", b, 10, d, 5)
                        .profileWithSpans(2000, "p2", new long[] {0xa, 0xb}, b, 20, c, 7).build(),
                new TestData.SeriesBuilder(labels(CPU, "web")).profile(1500, "p3", c, 3, d, 4).build(),
                new TestData.SeriesBuilder(labels(ALLOC, "api")).profile(1000, "p4", b, 100).build()),
                t.publish(), new BlockWriterConfig(1024, 2, 3)).meta();
        Path dir = store.root().resolve("t").resolve(meta.id());

        try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement st = db.createStatement()) {
            for (BlockMeta.FileInfo f : meta.files()) {
                String file = "'" + dir.resolve(f.relPath()) + "'";
                assertEquals(List.of(List.of(f.numRows())), rows(st, "SELECT count(*) FROM read_parquet(" + file + ")"), f.relPath());
                assertEquals(List.of(List.of((long) f.numRowGroups())),
                        rows(st, "SELECT count(DISTINCT row_group_id) FROM parquet_metadata(" + file + ")"), f.relPath());
            }
            String profiles = "read_parquet('" + dir.resolve(BlockLayout.PROFILES) + "')";
            String series = "read_parquet('" + dir.resolve(BlockLayout.SERIES) + "')";
            assertEquals(List.of(List.of(meta.stats().numSamples(), 149L)),
                    rows(st, "SELECT sum(len(samples)), sum(total_value) FROM " + profiles));
            assertEquals(List.of(List.of(meta.stats().numSeries())), rows(st, "SELECT count(*) FROM " + series));

            // series are ordered by profile type, then service; profiles by series then time
            assertEquals(List.of(List.of("api", ALLOC, "p4", 100L), List.of("api", CPU, "p1", 15L), List.of("api", CPU, "p2", 27L),
                    List.of("web", CPU, "p3", 7L)),
                    rows(st, "SELECT s.labels['service_name'], s.labels['__profile_type__'], p.id, p.total_value FROM " + profiles
                            + " p JOIN " + series + " s USING (series_index) ORDER BY p.series_index, p.time_nanos"));
            // only p2's two samples carry span ids (0xa + 0xb); the others are null
            assertEquals(List.of(List.of(21L, 2L, 7L)),
                    rows(st, "SELECT sum(u.s.span_id), count(u.s.span_id), count(*) FROM " + profiles + ", unnest(samples) AS u(s)"));

            // stack id -> leaf location -> its function -> the function's name
            String symbols = dir.resolve("symbols") + "/";
            assertEquals(List.of(List.of("b", 130L), List.of("c", 10L), List.of("d", 9L)), rows(st, """
                    SELECT str.value, sum(u.s.value)
                    FROM %s, unnest(samples) AS u(s)
                    JOIN read_parquet('%sstacks.parquet', file_row_number = true) k ON k.file_row_number = u.s.stack_id
                    JOIN read_parquet('%slocations.parquet', file_row_number = true) l ON l.file_row_number = k.location
                    JOIN read_parquet('%sfunctions.parquet', file_row_number = true) f ON f.file_row_number = l.lines[1].function
                    JOIN read_parquet('%sstrings.parquet', file_row_number = true) str ON str.file_row_number = f.name
                    GROUP BY 1 ORDER BY 1""".formatted(profiles, symbols, symbols, symbols, symbols)));
        }
    }

    private static List<List<Object>> rows(Statement st, String sql) throws Exception {
        List<List<Object>> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    Object v = rs.getObject(i);
                    row.add(v instanceof Number num ? (Object) num.longValue() : String.valueOf(v));
                }
                out.add(row);
            }
        }
        return out;
    }
}
