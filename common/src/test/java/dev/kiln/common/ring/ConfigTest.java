package dev.kiln.common.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.common.ring.kv.KvStoreConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigTest {

    @Test
    void lifecyclerDefaults() {
        assertEquals(new LifecyclerConfig("ingester-0", "10.0.0.7:9095", "", 128, Duration.ofSeconds(5), "", true),
                LifecyclerConfig.defaults("ingester-0", "10.0.0.7:9095"));
    }

    @Test
    void lifecyclerSettingsAreValidated() {
        assertEquals("lifecycler id must not be blank", assertThrows(IllegalArgumentException.class,
                () -> LifecyclerConfig.defaults(" ", "a:1")).getMessage());
        assertEquals("lifecycler num_tokens must be at least 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> new LifecyclerConfig("i", "a:1", "", 0, Duration.ofSeconds(5), "", true)).getMessage());
        assertEquals("lifecycler heartbeat_period must be positive, got PT0S", assertThrows(
                IllegalArgumentException.class,
                () -> new LifecyclerConfig("i", "a:1", "", 1, Duration.ZERO, "", true)).getMessage());
    }

    @Test
    void ringDefaults() {
        assertEquals(new RingConfig(KvStoreConfig.DEFAULT, Duration.ofMinutes(1), 1, false), RingConfig.DEFAULT);
        assertEquals("ring replication_factor must be at least 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> RingConfig.DEFAULT.withReplicationFactor(0)).getMessage());
        assertEquals("ring heartbeat_timeout must be zero (disabled) or positive, got PT-1S", assertThrows(
                IllegalArgumentException.class,
                () -> RingConfig.DEFAULT.withHeartbeatTimeout(Duration.ofSeconds(-1))).getMessage());
    }
}
