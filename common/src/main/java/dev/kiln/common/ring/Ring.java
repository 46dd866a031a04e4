package dev.kiln.common.ring;

import com.google.common.util.concurrent.AbstractIdleService;
import dev.kiln.common.ring.kv.KvStore;
import dev.kiln.common.ring.kv.Versioned;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A ring client: watches one ring key in the KV store, keeps an immutable snapshot of it and
 * answers "which instances own this key" (dskit's {@code ring.Ring}). A Guava service: the first
 * snapshot is loaded before it is RUNNING.
 *
 * <p>Lookups ({@link #get}) walk the token ring clockwise as described in {@link Operation}, then
 * drop unhealthy instances and size the quorum as dskit does: with {@code n} the larger of the
 * replication factor and the number of instances walked, {@code minSuccess = n/2 + 1} and
 * {@code maxErrors = healthy - minSuccess}; fewer than {@code minSuccess} healthy instances fail
 * the lookup with a {@link RingUnavailableException}.
 */
public final class Ring extends AbstractIdleService {

    private static final Logger log = LoggerFactory.getLogger(Ring.class);

    private final RingConfig config;
    private final KvStore kv;
    private final String key;
    private final Clock clock;
    private final Object snapshotChanged = new Object();
    private volatile RingSnapshot snapshot = RingSnapshot.EMPTY;
    private KvStore.Watch watch;

    /**
     * @param key the ring's key below {@code ring.kvstore.prefix}: {@code ring} for ingesters,
     *     {@code store-gateway}, {@code compactor} (Pyroscope's names)
     */
    public Ring(RingConfig config, KvStore kv, String key, Clock clock) {
        this.config = config;
        this.kv = kv;
        this.key = key;
        this.clock = clock;
    }

    public Ring(RingConfig config, KvStore kv, String key) {
        this(config, kv, key, Clock.systemUTC());
    }

    @Override
    protected void startUp() {
        apply(kv.get(key));
        watch = kv.watch(key, this::apply);
    }

    @Override
    protected void shutDown() {
        watch.close();
    }

    @Override
    protected String serviceName() {
        return "ring client " + key;
    }

    /**
     * The replicas for {@code key} and how many may fail.
     *
     * @throws RingUnavailableException if no instance owns tokens, or fewer healthy replicas than
     *     the quorum are left
     */
    public ReplicationSet get(int key, Operation op) {
        List<InstanceDesc> walked = walk(key, op);
        int minSuccess = Math.max(config.replicationFactor(), walked.size()) / 2 + 1;
        Instant now = clock.instant();
        List<InstanceDesc> healthy = new ArrayList<>(walked.size());
        List<String> unhealthy = new ArrayList<>();
        for (InstanceDesc instance : walked) {
            if (instance.isHealthy(op, config.heartbeatTimeout(), now)) {
                healthy.add(instance);
            } else {
                unhealthy.add(instance.address());
            }
        }
        if (healthy.size() < minSuccess) {
            throw new RingUnavailableException("at least " + minSuccess + " live replicas required"
                    + (config.zoneAwarenessEnabled() ? " across different availability zones" : "")
                    + ", could only find " + healthy.size()
                    + (unhealthy.isEmpty() ? "" : " - unhealthy instances: " + String.join(",", unhealthy)));
        }
        return new ReplicationSet(healthy, healthy.size() - minSuccess);
    }

    /**
     * The healthy replicas of {@code key} in ring-walk order, without a quorum: for reads where any
     * one replica holds everything (a block on the store-gateways), tried in this order.
     *
     * @throws RingUnavailableException if the ring is empty or no replica is healthy
     */
    public List<InstanceDesc> healthyReplicas(int key, Operation op) {
        Instant now = clock.instant();
        List<InstanceDesc> healthy = walk(key, op).stream()
                .filter(instance -> instance.isHealthy(op, config.heartbeatTimeout(), now)).toList();
        if (healthy.isEmpty()) {
            throw new RingUnavailableException("no healthy replica in ring '" + this.key + "' for this key");
        }
        return healthy;
    }

    /** The replicas of {@code key} for {@code op} in walk order, health aside (see {@link RingSnapshot#walk}). */
    private List<InstanceDesc> walk(int key, Operation op) {
        RingSnapshot current = snapshot;
        if (current.tokenCount() == 0) {
            throw new RingUnavailableException("ring '" + this.key + "' is empty: no instance owns tokens");
        }
        return current.walk(key, op, config.replicationFactor(), config.zoneAwarenessEnabled());
    }

    /**
     * Whether {@code instanceId} is among the replicas of {@code key} for {@code op}, health aside:
     * what a member uses to decide what it is responsible for (a store-gateway's blocks, a
     * compactor's tenants), so that every member decides from the same ring state.
     */
    public boolean isOwner(int key, Operation op, String instanceId) {
        RingSnapshot current = snapshot;
        return current.tokenCount() > 0 && current.walk(key, op, config.replicationFactor(), config.zoneAwarenessEnabled())
                .stream().anyMatch(instance -> instance.id().equals(instanceId));
    }

    /**
     * Every instance healthy for {@code op}, with no failure allowed (callers decide what partial
     * results mean; this does not check a quorum, as in dskit).
     *
     * @throws RingUnavailableException if the ring has no instances
     */
    public ReplicationSet getAllHealthy(Operation op) {
        RingDesc desc = snapshot.desc;
        if (desc.instances().isEmpty()) {
            throw new RingUnavailableException("ring '" + key + "' is empty: no instance registered");
        }
        Instant now = clock.instant();
        List<InstanceDesc> healthy = desc.instances().values().stream()
                .filter(instance -> instance.isHealthy(op, config.heartbeatTimeout(), now))
                .toList();
        return new ReplicationSet(healthy, 0);
    }

    /** The ring as last seen. */
    public RingDesc desc() {
        return snapshot.desc;
    }

    /** All registered instances, sorted by id. */
    public List<InstanceDesc> instances() {
        return List.copyOf(snapshot.desc.instances().values());
    }

    /** Fraction of the key space each instance owns (per zone when zone awareness is on). */
    public Map<String, Double> ownership() {
        return snapshot.ownership(config.zoneAwarenessEnabled());
    }

    /** Whether {@code instance}'s heartbeat is recent enough right now, whatever its state. */
    public boolean isHeartbeatFresh(InstanceDesc instance) {
        return instance.isHeartbeatFresh(config.heartbeatTimeout(), clock.instant());
    }

    public int replicationFactor() {
        return config.replicationFactor();
    }

    public Duration heartbeatTimeout() {
        return config.heartbeatTimeout();
    }

    public String key() {
        return key;
    }

    public Clock clock() {
        return clock;
    }

    /**
     * Removes an instance that stopped heartbeating without unregistering (crashed, deleted pod),
     * so it no longer costs every write an error. A live instance would re-register at its next
     * heartbeat, so forgetting one is refused.
     *
     * @throws IllegalArgumentException if no such instance exists or it is still healthy
     */
    public void forget(String instanceId) {
        Instant now = clock.instant();
        kv.update(key, stored -> {
            RingDesc desc = RingCodec.decode(stored);
            InstanceDesc instance = desc.instance(instanceId).orElseThrow(() -> new IllegalArgumentException(
                    "instance '" + instanceId + "' is not in ring '" + key + "'"));
            if (instance.isHeartbeatFresh(config.heartbeatTimeout(), now)) {
                throw new IllegalArgumentException("instance '" + instanceId + "' is healthy (last heartbeat "
                        + Duration.between(instance.heartbeat(), now).toSeconds() + "s ago, timeout "
                        + config.heartbeatTimeout().toSeconds() + "s); only unhealthy instances can be forgotten");
            }
            return RingCodec.encode(desc.without(instanceId));
        });
        log.atInfo().addKeyValue("ring", key).addKeyValue("instance", instanceId).log("forgot unhealthy ring instance");
    }

    /**
     * Blocks until the ring satisfies {@code condition} (checked on every update), for tests and
     * for readiness checks such as "I am ACTIVE in the ring as the others see it".
     *
     * @return the first ring state that satisfied the condition
     * @throws TimeoutException if {@code timeout} passed first; the message shows the last state
     */
    public RingDesc awaitUntil(Predicate<RingDesc> condition, Duration timeout)
            throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (snapshotChanged) {
            while (true) {
                RingDesc desc = snapshot.desc;
                if (condition.test(desc)) {
                    return desc;
                }
                long remainingMillis = (deadline - System.nanoTime()) / 1_000_000;
                if (remainingMillis <= 0) {
                    throw new TimeoutException("ring '" + key + "' did not reach the expected state within "
                            + timeout + "; last seen: " + desc.instances().values());
                }
                snapshotChanged.wait(remainingMillis);
            }
        }
    }

    // Runs on the starting thread and then on the store's watch thread: the lock keeps the
    // version check and the swap together, so an older value can never replace a newer one.
    private void apply(Optional<Versioned> value) {
        synchronized (snapshotChanged) {
            if (value.isPresent() && value.get().version() <= snapshot.version) {
                return;
            }
            RingSnapshot next;
            try {
                next = value.map(v -> new RingSnapshot(RingCodec.decode(v.value()), v.version()))
                        .orElse(RingSnapshot.EMPTY);
            } catch (IllegalArgumentException e) {
                log.atError().addKeyValue("ring", key).addKeyValue("error", e.getMessage())
                        .log("ignoring unreadable ring state, keeping the previous one");
                return;
            }
            if (next.conflictingTokens > 0) {
                log.atWarn().addKeyValue("ring", key).addKeyValue("tokens", next.conflictingTokens)
                        .log("ring has tokens claimed by two instances; the instance with the smaller id keeps them");
            }
            snapshot = next;
            snapshotChanged.notifyAll();
        }
    }
}
