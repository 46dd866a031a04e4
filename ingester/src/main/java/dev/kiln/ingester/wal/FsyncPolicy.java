package dev.kiln.ingester.wal;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** When the write-ahead log forces its writes to disk ({@code pyroscopedb.wal.fsync}). */
public enum FsyncPolicy {
    /** fsync before a push is acknowledged; concurrent pushes share one fsync (group commit). */
    ALWAYS,
    /**
     * Acknowledge once written to the operating system, fsync at most every
     * {@code pyroscopedb.wal.fsync_interval}: survives a process crash, may lose that interval on
     * a machine crash.
     */
    INTERVAL,
    /** Acknowledge once written to the operating system and leave syncing to it. */
    NEVER;

    /** The configuration value, e.g. {@code always}. */
    public String configValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a {@code pyroscopedb.wal.fsync} value. */
    public static FsyncPolicy of(String value) {
        for (FsyncPolicy p : values()) {
            if (p.configValue().equals(value.strip())) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown pyroscopedb.wal.fsync \"" + value + "\"; supported: "
                + Arrays.stream(values()).map(FsyncPolicy::configValue).collect(Collectors.joining(", ")));
    }
}
