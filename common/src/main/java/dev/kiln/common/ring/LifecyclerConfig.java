package dev.kiln.common.ring;

import java.time.Duration;

/**
 * Settings of one ring member (dskit's {@code LifecyclerConfig}); keys as under Pyroscope's
 * {@code ingester.lifecycler}, e.g. {@code ingester.lifecycler.num_tokens}:
 *
 * <ul>
 *   <li>{@code id} — instance id, unique in the ring; required (the lead defaults it to the hostname).
 *   <li>{@code address} — {@code host:port} peers call; required.
 *   <li>{@code availability_zone} — default empty (no zone).
 *   <li>{@code num_tokens} — default 128.
 *   <li>{@code heartbeat_period} — default 5s (ingesters; Pyroscope's store-gateway and distributor
 *       rings use 15s). Must stay well below the ring's {@code heartbeat_timeout} (1m).
 *   <li>{@code tokens_file_path} — default empty (off). When set, tokens are loaded from this file
 *       at start and saved after joining, so a restarted instance takes back the same key range.
 *   <li>{@code unregister_on_shutdown} — default true. When false, a stopped instance stays in the
 *       ring as LEAVING (and turns unhealthy) until it comes back with the same id.
 * </ul>
 */
public record LifecyclerConfig(
        String id,
        String address,
        String availabilityZone,
        int numTokens,
        Duration heartbeatPeriod,
        String tokensFilePath,
        boolean unregisterOnShutdown) {

    public LifecyclerConfig {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("lifecycler id must not be blank");
        }
        if (address == null || address.isBlank()) {
            throw new IllegalArgumentException("lifecycler address must not be blank");
        }
        availabilityZone = availabilityZone == null ? "" : availabilityZone;
        if (numTokens < 1) {
            throw new IllegalArgumentException("lifecycler num_tokens must be at least 1, got " + numTokens);
        }
        if (heartbeatPeriod == null || heartbeatPeriod.isNegative() || heartbeatPeriod.isZero()) {
            throw new IllegalArgumentException("lifecycler heartbeat_period must be positive, got " + heartbeatPeriod);
        }
        tokensFilePath = tokensFilePath == null ? "" : tokensFilePath;
    }

    /** The documented defaults for everything but the identity. */
    public static LifecyclerConfig defaults(String id, String address) {
        return new LifecyclerConfig(id, address, "", 128, Duration.ofSeconds(5), "", true);
    }
}
