package dev.kiln.common.ring;

import dev.kiln.common.ring.kv.KvStoreConfig;
import java.time.Duration;

/**
 * Settings of one ring as seen by its clients. Keys are relative to the ring's block, e.g.
 * {@code ingester.lifecycler.ring.replication_factor} or
 * {@code store_gateway.sharding_ring.heartbeat_timeout} in Pyroscope's layout:
 *
 * <ul>
 *   <li>{@code kvstore.*} — where the ring lives, see {@link KvStoreConfig}; default in-memory.
 *   <li>{@code heartbeat_timeout} — default 1m (dskit). An instance whose last heartbeat is older is
 *       unhealthy: skipped for reads and writes, forgettable from the status page. 0 disables the
 *       check.
 *   <li>{@code replication_factor} — default 1: Pyroscope overrides dskit's 3 with 1 for ingesters
 *       and uses 1 for store-gateways. Quorum is {@code RF/2 + 1}.
 *   <li>{@code zone_awareness_enabled} — default false. When true, a replica set takes at most one
 *       instance per zone (instances with an empty zone are not constrained).
 * </ul>
 */
public record RingConfig(KvStoreConfig kvstore, Duration heartbeatTimeout, int replicationFactor, boolean zoneAwarenessEnabled) {

    public static final RingConfig DEFAULT = new RingConfig(KvStoreConfig.DEFAULT, Duration.ofMinutes(1), 1, false);

    public RingConfig {
        if (kvstore == null) {
            throw new IllegalArgumentException("ring.kvstore must not be null");
        }
        if (heartbeatTimeout == null || heartbeatTimeout.isNegative()) {
            throw new IllegalArgumentException("ring heartbeat_timeout must be zero (disabled) or positive, got "
                    + heartbeatTimeout);
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("ring replication_factor must be at least 1, got " + replicationFactor);
        }
    }

    public RingConfig withReplicationFactor(int newReplicationFactor) {
        return new RingConfig(kvstore, heartbeatTimeout, newReplicationFactor, zoneAwarenessEnabled);
    }

    public RingConfig withZoneAwareness(boolean enabled) {
        return new RingConfig(kvstore, heartbeatTimeout, replicationFactor, enabled);
    }

    public RingConfig withHeartbeatTimeout(Duration timeout) {
        return new RingConfig(kvstore, timeout, replicationFactor, zoneAwarenessEnabled);
    }
}
