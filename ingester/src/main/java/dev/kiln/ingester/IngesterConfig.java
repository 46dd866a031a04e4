package dev.kiln.ingester;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import dev.kiln.ingester.wal.FsyncPolicy;
import dev.kiln.ingester.wal.WalConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Ingester settings (keys follow Pyroscope's {@code pyroscopedb.*} where one exists).
 *
 * @param dataPath         {@code pyroscopedb.data_path}: local state; the write-ahead log is in its {@code wal} directory
 * @param maxBlockDuration {@code pyroscopedb.max_block_duration}: time window of one head block (default 1h)
 * @param wal              {@code pyroscopedb.wal.*}: write-ahead log settings, see {@link WalConfig}
 */
public record IngesterConfig(Path dataPath, Duration maxBlockDuration, WalConfig wal) {
    public static final List<ConfigKey> KEYS = List.of(
            ConfigKey.of("pyroscopedb.data_path", ConfigType.STRING, "./data",
                    "Directory of the ingester's write-ahead log, head spill files and local blocks."),
            ConfigKey.of("pyroscopedb.max_block_duration", ConfigType.DURATION, Duration.ofHours(1),
                    "Time window of one head block; profiles are grouped into blocks by their timestamp's window."),
            ConfigKey.of("pyroscopedb.wal.segment_size", ConfigType.LONG, WalConfig.DEFAULT_SEGMENT_SIZE,
                    "Size at which a write-ahead log segment is closed and the next one started; segments are deleted once every block they hold is flushed."),
            ConfigKey.of("pyroscopedb.wal.fsync", ConfigType.STRING, FsyncPolicy.ALWAYS.configValue(),
                    "When pushes are forced to disk: always (fsync before acknowledging, concurrent pushes share one fsync), "
                            + "interval (acknowledge once written, fsync every pyroscopedb.wal.fsync_interval) or never (leave it to the OS)."),
            ConfigKey.of("pyroscopedb.wal.fsync_interval", ConfigType.DURATION, WalConfig.DEFAULT_FSYNC_INTERVAL,
                    "Longest time acknowledged pushes stay unsynced with pyroscopedb.wal.fsync=interval."));

    public static IngesterConfig from(Config c) {
        return new IngesterConfig(Path.of(c.getString("pyroscopedb.data_path")), c.getDuration("pyroscopedb.max_block_duration"),
                new WalConfig(c.getLong("pyroscopedb.wal.segment_size"), FsyncPolicy.of(c.getString("pyroscopedb.wal.fsync")),
                        c.getDuration("pyroscopedb.wal.fsync_interval")));
    }

    /** The write-ahead log's directory. */
    public Path walDir() {
        return dataPath.resolve("wal");
    }
}
