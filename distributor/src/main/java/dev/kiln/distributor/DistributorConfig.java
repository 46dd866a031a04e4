package dev.kiln.distributor;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import java.time.Duration;
import java.util.List;

/** Distributor settings. */
public record DistributorConfig(Duration pushTimeout) {
    public static final List<ConfigKey> KEYS = List.of(
            ConfigKey.of("distributor.push_timeout", ConfigType.DURATION, Duration.ofSeconds(5),
                    "Time limit for a push to reach its ingesters over gRPC; the ingester of an all-in-one process is called directly, without one."));

    public static DistributorConfig from(Config c) {
        return new DistributorConfig(c.getDuration("distributor.push_timeout"));
    }
}
