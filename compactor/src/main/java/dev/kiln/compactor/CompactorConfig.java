package dev.kiln.compactor;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Compactor settings (keys follow Pyroscope's {@code compactor.*}).
 *
 * @param dataDir              {@code compactor.data_dir}: scratch space for blocks being merged, emptied at
 *                             start (default {@code ./data/compactor})
 * @param compactionInterval   {@code compactor.compaction_interval}: how often blocks are listed, the bucket
 *                             index refreshed and due ranges merged (default 1m)
 * @param blockRanges          {@code compactor.block_ranges}: the aligned time ranges blocks are merged into,
 *                             ascending, each a multiple of the one before (default 1h,4h,24h)
 * @param compactionWaitPeriod {@code compactor.compaction_wait_period}: how long after a range ends its
 *                             blocks are merged (default 15m)
 * @param deletionDelay        {@code compactor.deletion_delay}: how long a replaced or expired block stays in
 *                             storage, marked for deletion, before its files are deleted (default 12h)
 * @param cleanupInterval      {@code compactor.cleanup_interval}: how often retention is applied and marked
 *                             blocks past the deletion delay are deleted (default 15m)
 */
public record CompactorConfig(Path dataDir, Duration compactionInterval, List<Duration> blockRanges,
        Duration compactionWaitPeriod, Duration deletionDelay, Duration cleanupInterval) {

    public static final List<ConfigKey> KEYS = List.of(
            ConfigKey.of("compactor.data_dir", ConfigType.STRING, "./data/compactor",
                    "Scratch directory for blocks being merged; needs room for the largest merged block. Emptied when the compactor starts."),
            ConfigKey.of("compactor.compaction_interval", ConfigType.DURATION, Duration.ofMinutes(1),
                    "How often the compactor lists blocks, refreshes each tenant's bucket index and merges the time ranges that are due. "
                            + "A run with nothing to merge costs one listing per tenant; store-gateways see newly uploaded blocks after the next run."),
            ConfigKey.of("compactor.block_ranges", ConfigType.STRING_LIST, List.of("1h", "4h", "24h"),
                    "Aligned time ranges blocks are merged into, ascending, each a multiple of the previous one. The blocks that fit in one "
                            + "range (ingester and replica blocks of an hour, then hours of a 4h range, then a day) become one block once "
                            + "the range has ended; the largest due range is merged directly."),
            ConfigKey.of("compactor.compaction_wait_period", ConfigType.DURATION, Duration.ofMinutes(15),
                    "How long after a range ends its blocks are merged, so every ingester has uploaded its block of the range first. "
                            + "A block uploaded later is merged in a later run. Must exceed pyroscopedb.flush_grace plus the upload time."),
            ConfigKey.of("compactor.deletion_delay", ConfigType.DURATION, Duration.ofHours(12),
                    "How long a block replaced by compaction or expired by retention stays in storage, marked for deletion in the bucket "
                            + "index, before its files are deleted. Readers stop using a marked block at once; the delay lets queries "
                            + "that already opened it finish and store-gateways pick up the new index."),
            ConfigKey.of("compactor.cleanup_interval", ConfigType.DURATION, Duration.ofMinutes(15),
                    "How often the compactor applies retention (limits.compactor_blocks_retention_period) and deletes blocks whose "
                            + "deletion delay has passed."));

    public CompactorConfig {
        blockRanges = List.copyOf(blockRanges);
        if (blockRanges.isEmpty()) {
            throw new ConfigException("compactor.block_ranges: at least one range is needed");
        }
        for (int i = 0; i < blockRanges.size(); i++) {
            Duration r = blockRanges.get(i);
            if (r.toMillis() <= 0) {
                throw new ConfigException("compactor.block_ranges: range " + ConfigType.formatDuration(r) + " must be positive");
            }
            // Ranges must nest, so a block inside a range of one level is inside exactly one range of the next.
            if (i > 0) {
                long previous = blockRanges.get(i - 1).toMillis();
                if (r.toMillis() <= previous || r.toMillis() % previous != 0) {
                    throw new ConfigException("compactor.block_ranges: " + ConfigType.formatDuration(r) + " must be a larger multiple of "
                            + ConfigType.formatDuration(blockRanges.get(i - 1)));
                }
            }
        }
        requirePositive("compactor.compaction_interval", compactionInterval);
        requirePositive("compactor.cleanup_interval", cleanupInterval);
        if (compactionWaitPeriod.isNegative()) {
            throw new ConfigException("compactor.compaction_wait_period: must not be negative");
        }
        if (deletionDelay.isNegative()) {
            throw new ConfigException("compactor.deletion_delay: must not be negative");
        }
    }

    private static void requirePositive(String key, Duration d) {
        if (d.isZero() || d.isNegative()) {
            throw new ConfigException(key + ": must be positive");
        }
    }

    public static CompactorConfig from(Config c) {
        List<Duration> ranges = new ArrayList<>();
        for (String r : c.getStringList("compactor.block_ranges")) {
            try {
                ranges.add(ConfigType.parseDuration(r.trim()));
            } catch (NumberFormatException e) {
                throw new ConfigException("compactor.block_ranges: '" + r + "' is not a duration (" + e.getMessage() + ")");
            }
        }
        return new CompactorConfig(Path.of(c.getString("compactor.data_dir")), c.getDuration("compactor.compaction_interval"),
                ranges, c.getDuration("compactor.compaction_wait_period"), c.getDuration("compactor.deletion_delay"),
                c.getDuration("compactor.cleanup_interval"));
    }

    /** The defaults, with scratch space in {@code dataDir}. */
    public static CompactorConfig defaults(Path dataDir) {
        CompactorConfig d = from(Config.defaults(KEYS, java.util.Map.of()));
        return new CompactorConfig(dataDir, d.compactionInterval, d.blockRanges, d.compactionWaitPeriod, d.deletionDelay,
                d.cleanupInterval);
    }
}
