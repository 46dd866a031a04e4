package dev.kiln.common.block;

/**
 * How blocks are written.
 *
 * @param rowGroupTargetBytes {@code pyroscopedb.row_group_target_size}: target size of a profiles
 *                            row group before compression, in bytes (default 32 MiB). Smaller row
 *                            groups let statistics skip more data; larger ones compress better.
 * @param rowGroupMaxRows     {@code pyroscopedb.row_group_max_rows}: at most this many profiles per
 *                            row group (default 100,000, as Pyroscope)
 * @param zstdLevel           {@code pyroscopedb.compression_level}: zstd level of every Parquet file
 *                            (default 3; higher levels cost write time for a few percent)
 */
public record BlockWriterConfig(long rowGroupTargetBytes, int rowGroupMaxRows, int zstdLevel) {
    public static final BlockWriterConfig DEFAULTS = new BlockWriterConfig(32L << 20, 100_000, 3);

    public BlockWriterConfig {
        if (rowGroupTargetBytes < 1024) {
            throw new IllegalArgumentException("pyroscopedb.row_group_target_size must be at least 1024 bytes, got " + rowGroupTargetBytes);
        }
        if (rowGroupMaxRows < 1) {
            throw new IllegalArgumentException("pyroscopedb.row_group_max_rows must be positive, got " + rowGroupMaxRows);
        }
        if (zstdLevel < 1 || zstdLevel > 22) {
            throw new IllegalArgumentException("pyroscopedb.compression_level must be between 1 and 22, got " + zstdLevel);
        }
    }
}
