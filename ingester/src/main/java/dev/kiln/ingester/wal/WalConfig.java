package dev.kiln.ingester.wal;

import java.time.Duration;

/**
 * Write-ahead log settings ({@code pyroscopedb.wal.*}); the log lives in {@code <pyroscopedb.data_path>/wal}.
 *
 * @param segmentSizeBytes {@code pyroscopedb.wal.segment_size}: a segment file is closed and a new one
 *                         started once the next record would take it past this size. Default 64 MiB.
 * @param fsync            {@code pyroscopedb.wal.fsync}: {@code always} (default), {@code interval} or
 *                         {@code never}; see {@link FsyncPolicy}.
 * @param fsyncInterval    {@code pyroscopedb.wal.fsync_interval}: longest time written records stay
 *                         unsynced under the {@code interval} policy. Default 100ms.
 */
public record WalConfig(long segmentSizeBytes, FsyncPolicy fsync, Duration fsyncInterval) {
    public static final long DEFAULT_SEGMENT_SIZE = 64L << 20;
    public static final Duration DEFAULT_FSYNC_INTERVAL = Duration.ofMillis(100);
    public static final WalConfig DEFAULTS = new WalConfig(DEFAULT_SEGMENT_SIZE, FsyncPolicy.ALWAYS, DEFAULT_FSYNC_INTERVAL);

    public WalConfig {
        if (segmentSizeBytes < 4096) {
            throw new IllegalArgumentException("pyroscopedb.wal.segment_size must be at least 4096 bytes, got " + segmentSizeBytes);
        }
        if (fsync == FsyncPolicy.INTERVAL && (fsyncInterval == null || fsyncInterval.isNegative() || fsyncInterval.isZero())) {
            throw new IllegalArgumentException("pyroscopedb.wal.fsync_interval must be positive with pyroscopedb.wal.fsync=interval, got "
                    + fsyncInterval);
        }
    }

    public WalConfig withFsync(FsyncPolicy policy) {
        return new WalConfig(segmentSizeBytes, policy, fsyncInterval);
    }

    public WalConfig withSegmentSize(long bytes) {
        return new WalConfig(bytes, fsync, fsyncInterval);
    }
}
