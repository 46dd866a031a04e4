package dev.kiln.compactor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CompactorConfigTest {
    @Test
    void defaults() {
        CompactorConfig c = CompactorConfig.from(Config.defaults(CompactorConfig.KEYS, Map.of()));
        assertEquals(new CompactorConfig(Path.of("./data/compactor"), Duration.ofMinutes(1),
                List.of(Duration.ofHours(1), Duration.ofHours(4), Duration.ofHours(24)), Duration.ofMinutes(15),
                Duration.ofHours(12), Duration.ofMinutes(15)), c);
    }

    @Test
    void blockRangesAreParsedAsDurations() {
        CompactorConfig c = CompactorConfig.from(Config.defaults(CompactorConfig.KEYS,
                Map.of("compactor.block_ranges", List.of("2h", "12h", "48h"))));
        assertEquals(List.of(Duration.ofHours(2), Duration.ofHours(12), Duration.ofHours(48)), c.blockRanges());
    }

    private static String error(List<String> ranges) {
        return assertThrows(ConfigException.class, () -> CompactorConfig.from(Config.defaults(CompactorConfig.KEYS,
                Map.of("compactor.block_ranges", ranges)))).getMessage();
    }

    @Test
    void rangesThatDoNotNestAreRejectedWithTheKeyNamed() {
        assertEquals("compactor.block_ranges: 3h must be a larger multiple of 2h", error(List.of("2h", "3h")));
        assertEquals("compactor.block_ranges: 1h must be a larger multiple of 4h", error(List.of("4h", "1h")));
        assertEquals("compactor.block_ranges: range 0s must be positive", error(List.of("0s")));
        assertEquals("compactor.block_ranges: at least one range is needed", error(List.of()));
        assertEquals("compactor.block_ranges: '1hour' is not a duration (unknown duration unit 'hour' in 1hour)",
                error(List.of("1hour")));
    }
}
