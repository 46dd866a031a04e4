package dev.kiln.ingester;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Ingester settings (keys follow Pyroscope's {@code pyroscopedb.*} where one exists). */
public record IngesterConfig(Path dataPath, Duration maxBlockDuration) {
    public static final List<ConfigKey> KEYS = List.of(
            ConfigKey.of("pyroscopedb.data_path", ConfigType.STRING, "./data",
                    "Directory of the ingester's write-ahead log, head spill files and local blocks."),
            ConfigKey.of("pyroscopedb.max_block_duration", ConfigType.DURATION, Duration.ofHours(1),
                    "Time window of one head block; profiles are grouped into blocks by their timestamp's window."));

    public static IngesterConfig from(Config c) {
        return new IngesterConfig(Path.of(c.getString("pyroscopedb.data_path")), c.getDuration("pyroscopedb.max_block_duration"));
    }
}
