package dev.kiln.ingester;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import dev.kiln.common.query.QuerySplit;
import dev.kiln.ingester.flush.Flusher;
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
 * @param flushCheckPeriod {@code pyroscopedb.flush_check_period}: how often head blocks are checked for flushing
 * @param flush            when head blocks are cut and how long flushed blocks stay local, see {@link Flusher.Settings}
 * @param flushOnShutdown  {@code pyroscopedb.flush_on_shutdown}: flush the head when stopping (default true)
 */
public record IngesterConfig(Path dataPath, Duration maxBlockDuration, WalConfig wal, Duration flushCheckPeriod,
        Flusher.Settings flush, boolean flushOnShutdown) {
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
                    "Longest time acknowledged pushes stay unsynced with pyroscopedb.wal.fsync=interval."),
            ConfigKey.of("pyroscopedb.flush_check_period", ConfigType.DURATION, Duration.ofSeconds(15),
                    "How often head blocks are checked for flushing."),
            ConfigKey.of("pyroscopedb.flush_grace", ConfigType.DURATION, Duration.ofMinutes(5),
                    "How long after its time window ends a head block still takes late profiles before it is flushed."),
            ConfigKey.of("pyroscopedb.max_block_bytes", ConfigType.LONG, 512L << 20,
                    "A head block this large (estimated memory, with the symbol table it writes, which head blocks of a tenant opened "
                            + "together share) is flushed before its window ends; 0 disables."),
            ConfigKey.of("pyroscopedb.flush_on_shutdown", ConfigType.BOOLEAN, true,
                    "Flush every head block when the ingester stops, so a scale-down leaves nothing only in its write-ahead log."),
            ConfigKey.of("pyroscopedb.max_head_bytes", ConfigType.LONG, -1L,
                    "While all head blocks together are larger (estimated memory, a shared symbol table counted once), the largest "
                            + "are flushed early, bounding ingester "
                            + "memory; -1: a quarter of the JVM's maximum heap (the live heap peaks near twice the head), 0 disables."));

    /** {@code pyroscopedb.max_head_bytes}, with -1 resolved against this JVM's maximum heap. */
    static long maxHeadBytes(Config c) {
        long configured = c.getLong("pyroscopedb.max_head_bytes");
        if (configured < -1) {
            throw new ConfigException("pyroscopedb.max_head_bytes must be -1 (a quarter of the heap), 0 (no limit) "
                    + "or a size in bytes, got " + configured);
        }
        return configured == -1 ? Runtime.getRuntime().maxMemory() / 4 : configured;
    }

    public static IngesterConfig from(Config c) {
        Duration window = c.getDuration("pyroscopedb.max_block_duration");
        Duration grace = c.getDuration("pyroscopedb.flush_grace");
        // Local blocks cover the ingester's side of the query split, plus the window and grace a
        // block may still be in the head after its newest profile arrived.
        Duration localRetention = c.getDuration(QuerySplit.QUERY_STORE_AFTER.path()).plus(window).plus(grace);
        return new IngesterConfig(Path.of(c.getString("pyroscopedb.data_path")), window,
                new WalConfig(c.getLong("pyroscopedb.wal.segment_size"), FsyncPolicy.of(c.getString("pyroscopedb.wal.fsync")),
                        c.getDuration("pyroscopedb.wal.fsync_interval")),
                c.getDuration("pyroscopedb.flush_check_period"),
                new Flusher.Settings(grace, c.getLong("pyroscopedb.max_block_bytes"), maxHeadBytes(c), localRetention),
                c.getBoolean("pyroscopedb.flush_on_shutdown"));
    }

    /** The defaults for everything but the data path, block window and write-ahead log. */
    public static IngesterConfig of(Path dataPath, Duration maxBlockDuration, WalConfig wal) {
        IngesterConfig d = from(defaults(java.util.Map.of()));
        return new IngesterConfig(dataPath, maxBlockDuration, wal, d.flushCheckPeriod(), d.flush(), d.flushOnShutdown());
    }

    /**
     * The ingester's keys plus the process-wide {@code querier.query_store_after} it depends on, at
     * their defaults except {@code overrides}: a config for an ingester outside a process.
     */
    public static Config defaults(java.util.Map<String, ?> overrides) {
        List<ConfigKey> keys = new java.util.ArrayList<>(KEYS);
        keys.add(QuerySplit.QUERY_STORE_AFTER);
        return Config.defaults(keys, overrides);
    }

    /** This config with {@code pyroscopedb.flush_on_shutdown} set. */
    public IngesterConfig withFlushOnShutdown(boolean flush) {
        return new IngesterConfig(dataPath, maxBlockDuration, wal, flushCheckPeriod, this.flush, flush);
    }

    /** Where flushed blocks are kept to answer recent queries. */
    public Path localBlocksDir() {
        return dataPath.resolve("blocks");
    }

    /** The write-ahead log's directory. */
    public Path walDir() {
        return dataPath.resolve("wal");
    }
}
