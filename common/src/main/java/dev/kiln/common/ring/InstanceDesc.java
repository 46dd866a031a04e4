package dev.kiln.common.ring;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

/**
 * One ring member as stored in the KV store.
 *
 * @param id unique instance name, e.g. the pod name ({@code ingester-0})
 * @param address {@code host:port} that peers call
 * @param zone availability zone; empty when zones are not used
 * @param tokens owned tokens, kept in unsigned ascending order, no duplicates
 * @param registeredAt when the instance first registered in the ring
 * @param heartbeat when the instance last proved it is alive
 */
public record InstanceDesc(
        String id, String address, String zone, InstanceState state, int[] tokens, Instant registeredAt, Instant heartbeat) {

    public InstanceDesc {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("ring instance id must not be blank");
        }
        if (address == null) {
            throw new IllegalArgumentException("ring instance " + id + " has no address");
        }
        zone = zone == null ? "" : zone;
        if (state == null) {
            throw new IllegalArgumentException("ring instance " + id + " has no state");
        }
        if (registeredAt == null || heartbeat == null) {
            throw new IllegalArgumentException("ring instance " + id + " needs registeredAt and heartbeat timestamps");
        }
        tokens = Tokens.sortedCopy(tokens);
        for (int i = 1; i < tokens.length; i++) {
            if (tokens[i] == tokens[i - 1]) {
                throw new IllegalArgumentException("ring instance " + id + " lists token "
                        + Tokens.toUnsigned(tokens[i]) + " twice");
            }
        }
    }

    /** The tokens in unsigned ascending order (a copy). */
    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    public int tokenCount() {
        return tokens.length;
    }

    public InstanceDesc withState(InstanceState newState) {
        return new InstanceDesc(id, address, zone, newState, tokens, registeredAt, heartbeat);
    }

    public InstanceDesc withHeartbeat(Instant newHeartbeat) {
        return new InstanceDesc(id, address, zone, state, tokens, registeredAt, newHeartbeat);
    }

    public InstanceDesc withTokens(int[] newTokens) {
        return new InstanceDesc(id, address, zone, state, newTokens, registeredAt, heartbeat);
    }

    /**
     * Whether the last heartbeat is at most {@code timeout} old at {@code now}; a zero timeout
     * disables the check (dskit's rule).
     */
    public boolean isHeartbeatFresh(Duration timeout, Instant now) {
        return timeout.isZero() || Duration.between(heartbeat, now).compareTo(timeout) <= 0;
    }

    /** Healthy for {@code op}: a state the operation accepts and a fresh heartbeat. */
    public boolean isHealthy(Operation op, Duration heartbeatTimeout, Instant now) {
        return op.acceptsState(state) && isHeartbeatFresh(heartbeatTimeout, now);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InstanceDesc other
                && id.equals(other.id)
                && address.equals(other.address)
                && zone.equals(other.zone)
                && state == other.state
                && Arrays.equals(tokens, other.tokens)
                && registeredAt.equals(other.registeredAt)
                && heartbeat.equals(other.heartbeat);
    }

    @Override
    public int hashCode() {
        return ((id.hashCode() * 31 + state.hashCode()) * 31 + Arrays.hashCode(tokens)) * 31 + heartbeat.hashCode();
    }

    @Override
    public String toString() {
        return "InstanceDesc[id=" + id + ", address=" + address + ", zone=" + zone + ", state=" + state
                + ", tokens=" + tokens.length + ", registeredAt=" + registeredAt + ", heartbeat=" + heartbeat + "]";
    }
}
