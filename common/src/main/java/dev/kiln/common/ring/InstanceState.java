package dev.kiln.common.ring;

/**
 * Where an instance is in its life in the ring (dskit's {@code InstanceState}, without the
 * memberlist-only {@code LEFT} tombstone). "Unhealthy" is not a state: it is a heartbeat older than
 * the ring's heartbeat timeout, whatever the state.
 */
public enum InstanceState {
    /** Registered, tokens not (yet) claimed. */
    PENDING,
    /** Owns tokens but is still getting ready (e.g. loading blocks); gets neither reads nor writes. */
    JOINING,
    /** Serves reads and writes. */
    ACTIVE,
    /** Shutting down: no more writes, still serves reads (an ingester flushing its heads). */
    LEAVING
}
