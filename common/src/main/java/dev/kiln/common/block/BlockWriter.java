package dev.kiln.common.block;

import dev.kiln.common.block.ParquetFiles.Fields;
import dev.kiln.common.model.Labels;
import dev.kiln.common.model.Ulid;
import dev.kiln.common.symbols.Symbols;
import dev.kiln.common.tenant.Tenants;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one block into a local directory (layout in {@link BlockLayout}): series are added one at a
 * time in block order ({@link BlockLayout#SERIES_ORDER}) and their profiles streamed into profiles.parquet; {@link #finish} then writes
 * the series index, the symbol tables and meta.json. {@link BlockUploader} ships the directory.
 *
 * <p>Stack ids are stored as given, so a block written from an ingester head answers queries
 * with the same stack ids, and therefore identical call trees, as the head.
 *
 * <p>A block written with a rollup also gets rollup.parquet ({@link RollupWriter}), summed from the
 * same profiles as they stream through; the compactor writes its blocks so.
 */
public final class BlockWriter implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(BlockWriter.class);

    private final Path dir;
    private final String tenant;
    private final String blockId;
    private final BlockWriterConfig config;
    private final ParquetWriter<ProfileRow> profiles;
    private final RollupWriter rollup;
    private final ProfileRow row = new ProfileRow();
    private final List<SeriesEntry> series = new ArrayList<>();
    private long rows;
    private long samples;
    private long minNanos = Long.MAX_VALUE;
    private long maxNanos = Long.MIN_VALUE;
    private int maxStackId;
    private boolean closed;
    private Labels seriesLabels;
    private Labels previousLabels;
    private long seriesFirstRow;
    private long seriesMin;
    private long seriesMax;
    private String lastId;

    private record SeriesEntry(Labels labels, long firstRow, int count, long minNanos, long maxNanos) {}

    /** The profile being written. */
    private static final class ProfileRow {
        int seriesIndex;
        long timeNanos;
        String id;
        long total;
        int[] stacks;
        long[] values;
        long[] spans;
        int sampleCount;
    }

    /** Starts a block without rollup in {@code dir} (created if needed). */
    public BlockWriter(Path dir, String tenant, String blockId, BlockWriterConfig config) throws IOException {
        this(dir, tenant, blockId, config, false);
    }

    /** Starts a block in {@code dir} (created if needed), with a rollup over windows of {@link BlockLayout#ROLLUP_WINDOWS_MS} when {@code withRollup}. */
    public BlockWriter(Path dir, String tenant, String blockId, BlockWriterConfig config, boolean withRollup) throws IOException {
        Tenants.validate(tenant);
        if (!Ulid.isValid(blockId)) {
            throw new IllegalArgumentException("block id '" + blockId + "' is not a ULID");
        }
        this.dir = dir;
        this.tenant = tenant;
        this.blockId = blockId;
        this.config = config;
        Files.createDirectories(dir.resolve(BlockLayout.STRINGS).getParent());
        this.profiles = ParquetFiles.newWriter(dir.resolve(BlockLayout.PROFILES), BlockLayout.PROFILES_SCHEMA,
                BlockWriter::writeProfile, config);
        this.rollup = withRollup ? new RollupWriter(dir, BlockLayout.ROLLUP_WINDOWS_MS, config) : null;
    }

    /**
     * Writes a level-1 block from an ingester head's series (any order) and symbols.
     *
     * @throws IllegalArgumentException when a series is inconsistent or refers to a stack id
     *                                  outside {@code symbols}, or there are no profiles
     */
    public static BlockMeta write(Path dir, String tenant, String blockId, List<BlockSeries> series, Symbols symbols,
            BlockWriterConfig config) throws IOException {
        List<BlockSeries> sorted = new ArrayList<>(series);
        sorted.sort(Comparator.comparing(BlockSeries::labels, BlockLayout.SERIES_ORDER));
        try (BlockWriter w = new BlockWriter(dir, tenant, blockId, config)) {
            for (BlockSeries s : sorted) {
                w.add(s);
            }
            return w.finish(symbols, new BlockMeta.Compaction(1, List.of(blockId), List.of()));
        }
    }

    /**
     * Adds a series; it must come after the previous series in block order (by profile type,
     * service name, then labels; as {@link #write} sorts them). Its profiles are stored
     * sorted by time, then id. A series without profiles is skipped.
     */
    public void add(BlockSeries s) throws IOException {
        checkOpen();
        validate(s);
        if (s.count() == 0) {
            return;
        }
        startSeries(s.labels());
        for (int k : timeOrder(s)) {
            int[] stacks = s.stacks()[k];
            addProfile(s.timeNanos()[k], s.ids()[k], s.totals()[k], stacks, s.values()[k],
                    s.spans() == null ? null : s.spans()[k], stacks.length);
        }
        endSeries();
    }

    /**
     * Starts a series for {@link #addProfile}; it must come after the previous series in block order.
     * End it with {@link #endSeries()}.
     */
    public void startSeries(Labels labels) {
        checkOpen();
        if (seriesLabels != null) {
            throw new IllegalStateException("series " + seriesLabels + " is not ended");
        }
        if (previousLabels != null && BlockLayout.SERIES_ORDER.compare(previousLabels, labels) >= 0) {
            throw new IllegalArgumentException("series must be added once each, in block order: " + labels
                    + " came after " + previousLabels);
        }
        seriesLabels = labels;
        previousLabels = labels;
        seriesFirstRow = rows;
        seriesMin = Long.MAX_VALUE;
        seriesMax = Long.MIN_VALUE;
        lastId = null;
    }

    /**
     * Appends a profile to the current series: samples {@code [0, n)} of the arrays, sorted by stack
     * id; {@code spans} is null for a profile without span ids. Profiles must come in (time, id) order.
     */
    public void addProfile(long timeNanos, String id, long total, int[] stacks, long[] values, long[] spans, int n)
            throws IOException {
        if (seriesLabels == null) {
            throw new IllegalStateException("addProfile outside a series");
        }
        if (lastId != null && (timeNanos < seriesMax || (timeNanos == seriesMax && id.compareTo(lastId) < 0))) {
            throw new IllegalArgumentException("series " + seriesLabels + ": profile " + id + " at " + timeNanos
                    + " ns comes after " + lastId + " at " + seriesMax + " ns; profiles must be in time order");
        }
        for (int j = 0; j < n; j++) {
            if (stacks[j] < 0) {
                throw new IllegalArgumentException("series " + seriesLabels + ", profile " + id + ": negative stack id " + stacks[j]);
            }
            maxStackId = Math.max(maxStackId, stacks[j]);
        }
        row.seriesIndex = series.size();
        row.timeNanos = timeNanos;
        row.id = id;
        row.total = total;
        row.stacks = stacks;
        row.values = values;
        row.spans = spans;
        row.sampleCount = n;
        profiles.write(row);
        if (rollup != null) {
            if (rows == seriesFirstRow) {
                rollup.startSeries(series.size(), seriesLabels);
            }
            rollup.addProfile(timeNanos, stacks, values, n, total);
        }
        rows++;
        samples += n;
        seriesMin = Math.min(seriesMin, timeNanos);
        seriesMax = Math.max(seriesMax, timeNanos);
        lastId = id;
    }

    /** Ends the current series; a series without profiles leaves no trace. */
    public void endSeries() throws IOException {
        if (seriesLabels == null) {
            throw new IllegalStateException("endSeries outside a series");
        }
        int count = (int) (rows - seriesFirstRow);
        if (count > 0) {
            if (rollup != null) {
                rollup.endSeries();
            }
            series.add(new SeriesEntry(seriesLabels, seriesFirstRow, count, seriesMin, seriesMax));
            minNanos = Math.min(minNanos, seriesMin);
            maxNanos = Math.max(maxNanos, seriesMax);
        }
        seriesLabels = null;
    }

    private void validate(BlockSeries s) {
        if (s.labels() == null) {
            throw new IllegalArgumentException("series without labels");
        }
        int n = s.count();
        if (n < 0 || n > s.timeNanos().length || n > s.ids().length || n > s.stacks().length || n > s.values().length
                || n > s.totals().length || (s.spans() != null && n > s.spans().length)) {
            throw new IllegalArgumentException("series " + s.labels() + ": count " + n + " exceeds its columns");
        }
        for (int k = 0; k < n; k++) {
            int[] stacks = s.stacks()[k];
            long[] values = s.values()[k];
            long[] spans = s.spans() == null ? null : s.spans()[k];
            if (stacks == null || values == null || stacks.length != values.length
                    || (spans != null && spans.length != stacks.length) || s.ids()[k] == null) {
                throw new IllegalArgumentException("series " + s.labels() + ", profile " + k
                        + ": id, stacks, values and spans must be present and of equal length");
            }
        }
    }

    /** Profile indexes sorted by time, then id; the identity when they already are (the usual case). */
    private static int[] timeOrder(BlockSeries s) {
        int n = s.count();
        boolean sorted = true;
        for (int k = 1; k < n && sorted; k++) {
            sorted = compare(s, k - 1, k) <= 0;
        }
        Integer[] order = new Integer[n];
        Arrays.setAll(order, k -> k);
        if (!sorted) {
            Arrays.sort(order, (a, b) -> compare(s, a, b));
        }
        return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
    }

    private static int compare(BlockSeries s, int a, int b) {
        int c = Long.compare(s.timeNanos()[a], s.timeNanos()[b]);
        return c != 0 ? c : s.ids()[a].compareTo(s.ids()[b]);
    }

    private static void writeProfile(RecordConsumer c, ProfileRow r) {
        Fields.int32(c, "series_index", 0, r.seriesIndex);
        Fields.int64(c, "time_nanos", 1, r.timeNanos);
        Fields.string(c, "id", 2, r.id);
        Fields.int64(c, "total_value", 3, r.total);
        Fields.samples(c, 4, r.stacks, r.values, r.spans, r.sampleCount);
    }

    /**
     * Writes the series index, the symbol tables and meta.json, and returns the meta.
     *
     * @throws IllegalArgumentException when no profile was added or a stack id is outside {@code symbols}
     */
    public BlockMeta finish(Symbols symbols, BlockMeta.Compaction compaction) throws IOException {
        checkOpen();
        if (seriesLabels != null) {
            throw new IllegalStateException("series " + seriesLabels + " is not ended");
        }
        closed = true;
        profiles.close();
        Map<String, ParquetMetadata> rollupFooters = rollup == null ? Map.of() : rollup.finish();
        if (rows == 0) {
            throw new IllegalArgumentException("block " + tenant + "/" + blockId + " has no profiles");
        }
        if (maxStackId >= symbols.stackNodeCount) {
            throw new IllegalArgumentException("stack id " + maxStackId + " is outside the symbol table ("
                    + symbols.stackNodeCount + " stack nodes)");
        }
        List<BlockMeta.FileInfo> files = new ArrayList<>();
        files.add(fileInfo(BlockLayout.PROFILES, profiles.getFooter()));
        files.add(writeTable(BlockLayout.SERIES, BlockLayout.SERIES_SCHEMA, series.size(), (c, i) -> writeSeries(c, i)));
        files.add(writeTable(BlockLayout.STRINGS, BlockLayout.STRINGS_SCHEMA, symbols.stringCount,
                (c, i) -> Fields.string(c, "value", 0, symbols.strings[i])));
        files.add(writeTable(BlockLayout.MAPPINGS, BlockLayout.MAPPINGS_SCHEMA, symbols.mappingCount, (c, i) -> {
            Fields.int64(c, "memory_start", 0, symbols.mapStart[i]);
            Fields.int64(c, "memory_limit", 1, symbols.mapLimit[i]);
            Fields.int64(c, "file_offset", 2, symbols.mapOffset[i]);
            Fields.int32(c, "filename", 3, symbols.mapFilename[i]);
            Fields.int32(c, "build_id", 4, symbols.mapBuildId[i]);
            Fields.int32(c, "flags", 5, symbols.mapFlags[i]);
        }));
        files.add(writeTable(BlockLayout.FUNCTIONS, BlockLayout.FUNCTIONS_SCHEMA, symbols.functionCount, (c, i) -> {
            Fields.int32(c, "name", 0, symbols.fnName[i]);
            Fields.int32(c, "system_name", 1, symbols.fnSystemName[i]);
            Fields.int32(c, "filename", 2, symbols.fnFilename[i]);
            Fields.int32(c, "start_line", 3, symbols.fnStartLine[i]);
        }));
        files.add(writeTable(BlockLayout.LOCATIONS, BlockLayout.LOCATIONS_SCHEMA, symbols.locationCount, (c, i) -> {
            Fields.int32(c, "mapping", 0, symbols.locMapping[i]);
            Fields.int64(c, "address", 1, symbols.locAddress[i]);
            int n = symbols.locLineCount[i];
            Fields.startList(c, "lines", 2, n);
            for (int k = symbols.locLineStart[i]; k < symbols.locLineStart[i] + n; k++) {
                Fields.startElement(c);
                Fields.int32(c, "function", 0, symbols.lineFunction[k]);
                Fields.int32(c, "line", 1, symbols.lineNumber[k]);
                Fields.endElement(c);
            }
            Fields.endList(c, "lines", 2, n);
        }));
        files.add(writeTable(BlockLayout.STACKS, BlockLayout.STACKS_SCHEMA, symbols.stackNodeCount, (c, i) -> {
            Fields.int32(c, "parent", 0, symbols.stackParent[i]);
            Fields.int32(c, "location", 1, symbols.stackLocation[i]);
        }));
        for (var f : rollupFooters.entrySet()) {
            files.add(fileInfo(f.getKey(), f.getValue()));
        }
        BlockMeta meta = new BlockMeta(BlockLayout.FORMAT_VERSION, blockId, tenant,
                Math.floorDiv(minNanos, 1_000_000L), Math.floorDiv(maxNanos, 1_000_000L),
                new BlockMeta.Stats(series.size(), rows, samples), compaction, files,
                rollup == null ? List.of() : BlockLayout.ROLLUP_WINDOWS_MS);
        Files.write(dir.resolve(BlockLayout.META), meta.toJson());
        long bytes = files.stream().mapToLong(BlockMeta.FileInfo::sizeBytes).sum();
        log.atInfo().addKeyValue("tenant", tenant).addKeyValue("block", blockId).addKeyValue("level", compaction.level())
                .addKeyValue("series", series.size()).addKeyValue("profiles", rows).addKeyValue("samples", samples)
                .addKeyValue("bytes", bytes).log("wrote block");
        return meta;
    }

    private void writeSeries(RecordConsumer c, int i) {
        SeriesEntry s = series.get(i);
        Fields.int32(c, "series_index", 0, i);
        Fields.int64(c, "fingerprint", 1, s.labels().fingerprint());
        c.startField("labels", 2);
        c.startGroup();
        if (s.labels().size() > 0) {
            c.startField("key_value", 0);
            for (int k = 0; k < s.labels().size(); k++) {
                c.startGroup();
                Fields.string(c, "key", 0, s.labels().name(k));
                Fields.string(c, "value", 1, s.labels().value(k));
                c.endGroup();
            }
            c.endField("key_value", 0);
        }
        c.endGroup();
        c.endField("labels", 2);
        Fields.int64(c, "first_row", 3, s.firstRow());
        Fields.int32(c, "profile_count", 4, s.count());
        Fields.int64(c, "min_time_nanos", 5, s.minNanos());
        Fields.int64(c, "max_time_nanos", 6, s.maxNanos());
    }

    private BlockMeta.FileInfo writeTable(String relPath, MessageType schema, int count, ParquetFiles.RowWriter<Integer> rowWriter)
            throws IOException {
        ParquetWriter<Integer> w = ParquetFiles.newWriter(dir.resolve(relPath), schema, rowWriter, config);
        try (w) {
            for (int i = 0; i < count; i++) {
                w.write(i);
            }
        }
        return fileInfo(relPath, w.getFooter());
    }

    private BlockMeta.FileInfo fileInfo(String relPath, ParquetMetadata footer) throws IOException {
        long rowCount = 0;
        for (BlockMetaData rg : footer.getBlocks()) {
            rowCount += rg.getRowCount();
        }
        return new BlockMeta.FileInfo(relPath, Files.size(dir.resolve(relPath)), rowCount, footer.getBlocks().size());
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("block " + tenant + "/" + blockId + " is already finished");
        }
    }

    /** Abandons an unfinished block; the caller deletes the directory. */
    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            profiles.close();
            if (rollup != null) {
                rollup.close();
            }
        }
    }
}
