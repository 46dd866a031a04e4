package dev.kiln.common.block;

import dev.kiln.common.block.ParquetFiles.Columns;
import dev.kiln.common.block.ParquetFiles.Ints;
import dev.kiln.common.symbols.Symbols;
import java.io.IOException;
import java.util.Arrays;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.schema.MessageType;

/**
 * Reads a block's symbol tables into a {@link Symbols} view and checks every cross reference, so a
 * damaged file fails here with a clear message instead of as an index error inside a query.
 */
final class BlockSymbolsReader {
    /** Opens a symbol file of the block by relative path. */
    @FunctionalInterface
    interface Files {
        BlockInputFile open(String relPath) throws IOException;
    }

    private BlockSymbolsReader() {}

    static Symbols read(String block, Files files) {
        String[][] strings = {new String[0]};
        int stringCount = readTable(block, files, BlockLayout.STRINGS, BlockLayout.STRINGS_SCHEMA, (c, rows, at) -> {
            ColumnReader value = c.get("value");
            strings[0] = grow(strings[0], at + rows);
            for (int r = 0; r < rows; r++) {
                strings[0][at + r] = ParquetFiles.readString(value);
            }
        });

        long[][] mapLongs = new long[3][0];
        int[][] mapInts = new int[3][0];
        int mappingCount = readTable(block, files, BlockLayout.MAPPINGS, BlockLayout.MAPPINGS_SCHEMA, (c, rows, at) -> {
            String[] longCols = {"memory_start", "memory_limit", "file_offset"};
            String[] intCols = {"filename", "build_id", "flags"};
            for (int k = 0; k < 3; k++) {
                mapLongs[k] = readLongs(c.get(longCols[k]), mapLongs[k], at, rows);
                mapInts[k] = readInts(c.get(intCols[k]), mapInts[k], at, rows);
            }
        });
        checkRefs(block, BlockLayout.MAPPINGS, "filename", mapInts[0], mappingCount, stringCount);
        checkRefs(block, BlockLayout.MAPPINGS, "build_id", mapInts[1], mappingCount, stringCount);

        int[][] fn = new int[4][0];
        int functionCount = readTable(block, files, BlockLayout.FUNCTIONS, BlockLayout.FUNCTIONS_SCHEMA, (c, rows, at) -> {
            String[] cols = {"name", "system_name", "filename", "start_line"};
            for (int k = 0; k < 4; k++) {
                fn[k] = readInts(c.get(cols[k]), fn[k], at, rows);
            }
        });
        for (int k = 0; k < 3; k++) {
            checkRefs(block, BlockLayout.FUNCTIONS, "name, system_name or filename", fn[k], functionCount, stringCount);
        }

        int[][] loc = new int[3][0]; // mapping, line start, line count
        long[][] address = {new long[0]};
        Ints lineFunction = new Ints();
        Ints lineNumber = new Ints();
        int locationCount = readTable(block, files, BlockLayout.LOCATIONS, BlockLayout.LOCATIONS_SCHEMA, (c, rows, at) -> {
            loc[0] = readInts(c.get("mapping"), loc[0], at, rows);
            address[0] = readLongs(c.get("address"), address[0], at, rows);
            loc[1] = grow(loc[1], at + rows);
            loc[2] = grow(loc[2], at + rows);
            ColumnReader functions = c.get("lines.list.element.function");
            ColumnReader lines = c.get("lines.list.element.line");
            Ints row = new Ints();
            for (int r = 0; r < rows; r++) {
                loc[1][at + r] = lineFunction.size;
                ParquetFiles.readList(functions, row);
                for (int k = 0; k < row.size; k++) {
                    lineFunction.add(row.values[k]);
                }
                ParquetFiles.readList(lines, row);
                for (int k = 0; k < row.size; k++) {
                    lineNumber.add(row.values[k]);
                }
                loc[2][at + r] = row.size;
            }
        });
        checkRefs(block, BlockLayout.LOCATIONS, "mapping", loc[0], locationCount, mappingCount);
        checkRefs(block, BlockLayout.LOCATIONS, "lines.function", lineFunction.values, lineFunction.size, functionCount);

        int[][] stacks = new int[2][0];
        int stackCount = readTable(block, files, BlockLayout.STACKS, BlockLayout.STACKS_SCHEMA, (c, rows, at) -> {
            stacks[0] = readInts(c.get("parent"), stacks[0], at, rows);
            stacks[1] = readInts(c.get("location"), stacks[1], at, rows);
        });
        checkRefs(block, BlockLayout.STACKS, "location", stacks[1], stackCount, locationCount);
        for (int i = 1; i < stackCount; i++) {
            if (stacks[0][i] < 0 || stacks[0][i] >= i) {
                throw new BlockCorruptedException(block, BlockLayout.STACKS,
                        "has node " + i + " with parent " + stacks[0][i] + ", not a smaller node id");
            }
        }

        return new Symbols(strings[0], stringCount,
                mapLongs[0], mapLongs[1], mapLongs[2], mapInts[0], mapInts[1], mapInts[2], mappingCount,
                fn[0], fn[1], fn[2], fn[3], functionCount,
                loc[0], address[0], loc[1], loc[2], locationCount,
                lineFunction.values, lineNumber.values, lineFunction.size,
                stacks[0], stacks[1], stackCount);
    }

    @FunctionalInterface
    private interface TableRows {
        void read(Columns columns, int rows, int at) throws IOException;
    }

    /** Reads a table row group by row group; returns the row count. */
    private static int readTable(String block, Files files, String relPath, MessageType schema, TableRows rows) {
        int[] total = {0};
        BlockFileErrors.guard(block, relPath, () -> {
            ParquetFiles.readTable(files.open(relPath), schema, (c, n) -> {
                rows.read(c, Math.toIntExact(n), total[0]);
                total[0] += Math.toIntExact(n);
            });
            return null;
        });
        if (total[0] == 0) {
            throw new BlockCorruptedException(block, relPath, "is empty; every symbol table has a placeholder row 0");
        }
        return total[0];
    }

    private static int[] readInts(ColumnReader r, int[] into, int at, int rows) {
        int[] out = grow(into, at + rows);
        for (int i = 0; i < rows; i++) {
            out[at + i] = ParquetFiles.readInt(r);
        }
        return out;
    }

    private static long[] readLongs(ColumnReader r, long[] into, int at, int rows) {
        long[] out = into.length >= at + rows ? into : Arrays.copyOf(into, at + rows);
        for (int i = 0; i < rows; i++) {
            out[at + i] = ParquetFiles.readLong(r);
        }
        return out;
    }

    private static int[] grow(int[] a, int n) {
        return a.length >= n ? a : Arrays.copyOf(a, n);
    }

    private static String[] grow(String[] a, int n) {
        return a.length >= n ? a : Arrays.copyOf(a, n);
    }

    private static void checkRefs(String block, String file, String column, int[] refs, int count, int tableSize) {
        for (int i = 0; i < count; i++) {
            if (refs[i] < 0 || refs[i] >= tableSize) {
                throw new BlockCorruptedException(block, file,
                        "has entry " + i + " with " + column + " " + refs[i] + ", outside 0.." + (tableSize - 1));
            }
        }
    }
}
