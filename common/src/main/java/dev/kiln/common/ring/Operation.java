package dev.kiln.common.ring;

import java.util.EnumSet;
import java.util.Set;

/**
 * What a replica set is wanted for. Both rules are dskit's ({@code ring.Write} and
 * {@code ring.Read} in {@code ring/ring.go}):
 *
 * <ul>
 *   <li>{@link #WRITE}: only ACTIVE instances take writes. Every instance in another state met on
 *       the clockwise walk still counts as one of the replicas but <em>extends</em> the walk by one
 *       more instance, so the data still lands on RF instances that will serve it (a JOINING or
 *       LEAVING instance is replaced by the next one, not lost).
 *   <li>{@link #READ}: ACTIVE, LEAVING (still holds unflushed data) and PENDING are readable. The
 *       walk is extended past every state except ACTIVE and LEAVING — past JOINING and PENDING — so
 *       the read set covers the instance a write was extended to. PENDING instances own tokens
 *       only while re-registering after a restart; otherwise they are met only through
 *       {@link Ring#getAllHealthy}.
 * </ul>
 *
 * <p>Extension depends on the state only. An ACTIVE instance whose heartbeat is stale is not
 * replaced: it stays in the walk, is dropped from the result as unhealthy and still counts towards
 * the quorum size, so losing it uses up the error budget instead of silently moving data (also
 * dskit's behaviour, {@code defaultReplicationStrategy.Filter}).
 *
 * <p>Consequence of the quorum counting extended instances: with replication factor 1, a key
 * whose owner is JOINING or LEAVING walks two instances, needs 2/2+1 = 2 answers and has one
 * healthy replica, so writes to it fail until the owner is ACTIVE or gone — as in dskit and
 * Pyroscope, whose distributor uses {@code ring.Write}.
 */
public enum Operation {
    WRITE(EnumSet.of(InstanceState.ACTIVE), EnumSet.of(InstanceState.ACTIVE)),
    READ(EnumSet.of(InstanceState.ACTIVE, InstanceState.PENDING, InstanceState.LEAVING),
            EnumSet.of(InstanceState.ACTIVE, InstanceState.LEAVING));

    private final Set<InstanceState> healthyStates;
    private final Set<InstanceState> statesThatDoNotExtend;

    Operation(Set<InstanceState> healthyStates, Set<InstanceState> statesThatDoNotExtend) {
        this.healthyStates = healthyStates;
        this.statesThatDoNotExtend = statesThatDoNotExtend;
    }

    /** Whether an instance in {@code state} may serve this operation (heartbeat aside). */
    public boolean acceptsState(InstanceState state) {
        return healthyStates.contains(state);
    }

    /** Whether meeting an instance in {@code state} on the walk adds one more replica to find. */
    public boolean extendsReplicaSet(InstanceState state) {
        return !statesThatDoNotExtend.contains(state);
    }
}
