package dev.kiln.common.block;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.bytes.ByteBufferAllocator;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.crypto.FileDecryptionProperties;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetMetricsCallback;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.internal.hadoop.metadata.IndexReference;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * parquet-java plumbing without Hadoop at run time: writers with the zstd codec factory, read
 * options built without {@code ParquetReadOptions.Builder} (whose constructor loads Hadoop
 * classes), footers loaded with as few ranged reads as possible, and column readers.
 */
final class ParquetFiles {
    private static final CompressionCodecFactory READ_CODECS = new ZstdCodecFactory(0);
    /**
     * Small pages, so that a query reads little beyond the rows it selects: profiles are found by
     * exact row ranges and the column indexes map rows to pages. Dictionary encoding stays on
     * (default): stack ids and values repeat a lot, and it beat delta encoding by 12% (stack ids)
     * and 20% (values) in bytes per sample on BlockBench.
     */
    private static final int PAGE_BYTES = 256 * 1024;
    private static final int PAGE_ROWS = 1000;
    /** Enough for the footer and page indexes of most files: they are usually fetched in one request. */
    private static final int TAIL_GUESS = 256 * 1024;
    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);
    private static final Constructor<ParquetReadOptions> READ_OPTIONS = readOptionsConstructor();

    private ParquetFiles() {}

    /** Writes one row of {@code T} through a {@link RecordConsumer}. */
    @FunctionalInterface
    interface RowWriter<T> {
        void write(RecordConsumer out, T row);
    }

    static <T> ParquetWriter<T> newWriter(Path file, MessageType schema, RowWriter<T> rows, BlockWriterConfig config)
            throws IOException {
        return new Builder<>(new LocalOutputFile(file), new RowWriteSupport<>(schema, rows))
                .withConf(new PlainParquetConfiguration())
                .withCodecFactory(new ZstdCodecFactory(config.zstdLevel()))
                .withCompressionCodec(CompressionCodecName.ZSTD)
                .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_2_0)
                .withRowGroupSize(config.rowGroupTargetBytes())
                .withRowGroupRowCountLimit(config.rowGroupMaxRows())
                .withPageSize(PAGE_BYTES)
                .withPageRowCountLimit(PAGE_ROWS)
                .withPageWriteChecksumEnabled(true)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .build();
    }

    /**
     * Read options: statistics and column-index filtering with {@code filter}, page checksums
     * verified, no dictionary or bloom-filter probing (each would cost extra requests).
     */
    static ParquetReadOptions readOptions(FilterCompat.Filter filter) {
        try {
            return READ_OPTIONS.newInstance(
                    false, // useSignedStringMinMax
                    true, // useStatsFilter
                    false, // useDictionaryFilter
                    true, // useRecordFilter
                    true, // useColumnIndexFilter
                    true, // usePageChecksumVerification
                    false, // useBloomFilter
                    false, // useOffHeapDecryptBuffer
                    false, // useHadoopVectoredIo
                    filter, ParquetMetadataConverter.NO_FILTER, READ_CODECS, new HeapByteBufferAllocator(),
                    8 << 20, new HashMap<String, String>(), null, null, new PlainParquetConfiguration());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create Parquet read options", e);
        }
    }

    /**
     * {@code ParquetReadOptions}' constructor is package-private and its builder needs Hadoop, so it
     * is called reflectively; a parquet-java upgrade that changes it fails every block test.
     */
    private static Constructor<ParquetReadOptions> readOptionsConstructor() {
        try {
            Constructor<ParquetReadOptions> c = ParquetReadOptions.class.getDeclaredConstructor(
                    boolean.class, boolean.class, boolean.class, boolean.class, boolean.class, boolean.class,
                    boolean.class, boolean.class, boolean.class, FilterCompat.Filter.class,
                    ParquetMetadataConverter.MetadataFilter.class, CompressionCodecFactory.class,
                    ByteBufferAllocator.class, int.class, Map.class, FileDecryptionProperties.class,
                    ParquetMetricsCallback.class, ParquetConfiguration.class);
            c.setAccessible(true);
            return c;
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("this parquet-java version has no ParquetReadOptions constructor Kiln can use", e);
        }
    }

    /** A file's footer plus its input with the end of the file (footer and page indexes) in memory. */
    record Footer(BlockInputFile file, ParquetMetadata metadata) {
        ParquetFileReader open(FilterCompat.Filter filter) throws IOException {
            SeekableInputStream in = file.newStream();
            return ParquetFileReader.open(file, metadata, readOptions(filter), in);
        }
    }

    /**
     * Reads the footer of a {@code length}-byte file with one ranged read in the common case, two or
     * three when the footer or the page indexes are larger than a first guess.
     */
    static Footer readFooter(String name, long length, BlockInputFile.RangeSource source) throws IOException {
        if (length < 2L * MAGIC.length + 4) {
            throw new IOException(name + " is " + length + " bytes long, too short for a Parquet file");
        }
        int guess = (int) Math.min(length, TAIL_GUESS);
        BlockInputFile file = new BlockInputFile(name, length, source, read(name, source, length - guess, guess));
        byte[] end = file.readExactly(length - 8, 8);
        if (!Arrays.equals(end, 4, 8, MAGIC, 0, 4)) {
            throw new IOException(name + " does not end with the Parquet magic bytes (truncated or not Parquet)");
        }
        long footerLen = ByteBuffer.wrap(end, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        long footerStart = length - 8 - footerLen;
        if (footerStart < MAGIC.length) {
            throw new IOException(name + " claims a footer of " + footerLen + " bytes, longer than the file");
        }
        if (footerStart < length - guess) {
            file = new BlockInputFile(name, length, source, read(name, source, footerStart, (int) (length - footerStart)));
        }
        ParquetMetadata metadata;
        try (SeekableInputStream in = file.newStream()) {
            metadata = ParquetFileReader.readFooter(file, readOptions(FilterCompat.NOOP), in);
        }
        long indexStart = indexStart(metadata, footerStart);
        long tailStart = length - file.tail().length;
        if (indexStart < tailStart) {
            byte[] tail = new byte[(int) (length - indexStart)];
            byte[] head = read(name, source, indexStart, (int) (tailStart - indexStart));
            System.arraycopy(head, 0, tail, 0, head.length);
            System.arraycopy(file.tail(), 0, tail, head.length, file.tail().length);
            file = new BlockInputFile(name, length, source, tail);
        }
        return new Footer(file, metadata);
    }

    /** Where the column and offset indexes begin (they sit between the last row group and the footer). */
    private static long indexStart(ParquetMetadata metadata, long footerStart) {
        long start = footerStart;
        for (BlockMetaData rowGroup : metadata.getBlocks()) {
            for (ColumnChunkMetaData column : rowGroup.getColumns()) {
                start = Math.min(start, offsetOr(column.getColumnIndexReference(), start));
                start = Math.min(start, offsetOr(column.getOffsetIndexReference(), start));
            }
        }
        return start;
    }

    private static long offsetOr(IndexReference ref, long otherwise) {
        return ref == null ? otherwise : ref.getOffset();
    }

    private static byte[] read(String name, BlockInputFile.RangeSource source, long offset, int len) throws IOException {
        byte[] b = source.read(offset, len);
        if (b.length != len) {
            throw new IOException(name + ": wanted " + len + " bytes at offset " + offset + " but got " + b.length
                    + " (file shorter than meta.json says; truncated?)");
        }
        return b;
    }

    /** Column readers over one row group; columns are named by dotted path, e.g. {@code samples.list.element.value}. */
    static final class Columns {
        private final ColumnReadStoreImpl store;
        private final MessageType schema;

        Columns(PageReadStore pages, MessageType schema, String createdBy) {
            this.schema = schema;
            this.store = new ColumnReadStoreImpl(pages, new GroupRecordConverter(schema).getRootConverter(), schema, createdBy);
        }

        ColumnReader get(String path) {
            return store.getColumnReader(schema.getColumnDescription(path.split("\\.")));
        }
    }

    /** Receives the column readers of each row group of a table. */
    @FunctionalInterface
    interface RowGroupVisitor {
        void visit(Columns columns, long rowCount) throws IOException;
    }

    /**
     * Reads every row group of {@code file} with the columns of {@code schema}, which the file's
     * schema must contain.
     */
    static void readTable(BlockInputFile file, MessageType schema, RowGroupVisitor visitor) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(file, readOptions(FilterCompat.NOOP))) {
            reader.getFileMetaData().getSchema().checkContains(schema);
            reader.setRequestedSchema(schema);
            String createdBy = reader.getFileMetaData().getCreatedBy();
            PageReadStore pages;
            while ((pages = reader.readNextRowGroup()) != null) {
                visitor.visit(new Columns(pages, schema, createdBy), pages.getRowCount());
            }
        }
    }

    /** A growable int array, reused row after row. */
    static final class Ints {
        int[] values = new int[64];
        int size;

        void add(int v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }
    }

    /** A growable long array, reused row after row. */
    static final class Longs {
        long[] values = new long[64];
        int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }
    }

    /** Reads the current row's elements of a repeated int column into {@code out} and moves to the next row. */
    static void readList(ColumnReader r, Ints out) {
        int maxDef = r.getDescriptor().getMaxDefinitionLevel();
        out.size = 0;
        do {
            if (r.getCurrentDefinitionLevel() == maxDef) {
                out.add(r.getInteger());
            }
            r.consume();
        } while (r.getCurrentRepetitionLevel() != 0);
    }

    /**
     * Reads the current row's elements of a repeated int64 column into {@code out} and moves to the
     * next row; null elements of an optional column become {@code ifNull}. Returns whether any
     * element was non-null.
     */
    static boolean readList(ColumnReader r, Longs out, long ifNull) {
        ColumnDescriptor d = r.getDescriptor();
        int maxDef = d.getMaxDefinitionLevel();
        int elementDef = d.getPrimitiveType().isRepetition(Type.Repetition.OPTIONAL) ? maxDef - 1 : maxDef;
        boolean present = false;
        out.size = 0;
        do {
            int def = r.getCurrentDefinitionLevel();
            if (def == maxDef) {
                out.add(r.getLong());
                present = true;
            } else if (def == elementDef) {
                out.add(ifNull);
            }
            r.consume();
        } while (r.getCurrentRepetitionLevel() != 0);
        return present;
    }

    /** Skips the current row of a column, repeated or not. */
    static void skipRow(ColumnReader r) {
        int maxDef = r.getDescriptor().getMaxDefinitionLevel();
        do {
            if (r.getCurrentDefinitionLevel() == maxDef) {
                r.skip();
            }
            r.consume();
        } while (r.getCurrentRepetitionLevel() != 0);
    }

    /** Reads one value of a required int column and moves to the next row. */
    static int readInt(ColumnReader r) {
        int v = r.getInteger();
        r.consume();
        return v;
    }

    static long readLong(ColumnReader r) {
        long v = r.getLong();
        r.consume();
        return v;
    }

    static String readString(ColumnReader r) {
        String v = r.getBinary().toStringUsingUTF8();
        r.consume();
        return v;
    }

    /** Convenience for {@link RowWriter}s: field-at-a-time writes. */
    static final class Fields {
        private Fields() {}

        static void int32(RecordConsumer c, String name, int index, int v) {
            c.startField(name, index);
            c.addInteger(v);
            c.endField(name, index);
        }

        static void int64(RecordConsumer c, String name, int index, long v) {
            c.startField(name, index);
            c.addLong(v);
            c.endField(name, index);
        }

        static void string(RecordConsumer c, String name, int index, String v) {
            c.startField(name, index);
            c.addBinary(Binary.fromString(v));
            c.endField(name, index);
        }

        /** Starts a 3-level LIST of {@code n} elements; call {@link #startElement}/{@link #endElement} n times, then {@link #endList}. */
        static void startList(RecordConsumer c, String name, int index, int n) {
            c.startField(name, index);
            c.startGroup();
            if (n > 0) {
                c.startField("list", 0);
            }
        }

        static void startElement(RecordConsumer c) {
            c.startGroup();
            c.startField("element", 0);
            c.startGroup();
        }

        static void endElement(RecordConsumer c) {
            c.endGroup();
            c.endField("element", 0);
            c.endGroup();
        }

        static void endList(RecordConsumer c, String name, int index, int n) {
            if (n > 0) {
                c.endField("list", 0);
            }
            c.endGroup();
            c.endField(name, index);
        }

        /**
         * Writes field {@code index}, the {@code samples} list, with samples {@code [0, n)}: stack id
         * and value, and the span id unless {@code spans} is null.
         */
        static void samples(RecordConsumer c, int index, int[] stacks, long[] values, long[] spans, int n) {
            startList(c, "samples", index, n);
            for (int j = 0; j < n; j++) {
                startElement(c);
                int32(c, "stack_id", 0, stacks[j]);
                int64(c, "value", 1, values[j]);
                if (spans != null) {
                    int64(c, "span_id", 2, spans[j]);
                }
                endElement(c);
            }
            endList(c, "samples", index, n);
        }
    }

    private static final class RowWriteSupport<T> extends WriteSupport<T> {
        private final MessageType schema;
        private final RowWriter<T> rows;
        private RecordConsumer out;

        RowWriteSupport(MessageType schema, RowWriter<T> rows) {
            this.schema = schema;
            this.rows = rows;
        }

        @Override
        public WriteContext init(org.apache.hadoop.conf.Configuration configuration) {
            return new WriteContext(schema, Map.of());
        }

        @Override
        public WriteContext init(ParquetConfiguration configuration) {
            return new WriteContext(schema, Map.of());
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
            this.out = recordConsumer;
        }

        @Override
        public void write(T row) {
            out.startMessage();
            rows.write(out, row);
            out.endMessage();
        }
    }

    private static final class Builder<T> extends ParquetWriter.Builder<T, Builder<T>> {
        private final WriteSupport<T> support;

        Builder(OutputFile file, WriteSupport<T> support) {
            super(file);
            this.support = support;
        }

        @Override
        protected Builder<T> self() {
            return this;
        }

        @Override
        protected WriteSupport<T> getWriteSupport(org.apache.hadoop.conf.Configuration conf) {
            return support;
        }

        @Override
        protected WriteSupport<T> getWriteSupport(ParquetConfiguration conf) {
            return support;
        }
    }
}
