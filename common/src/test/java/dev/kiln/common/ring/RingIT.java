package dev.kiln.common.ring;

import static dev.kiln.common.ring.InstanceState.ACTIVE;
import static dev.kiln.common.ring.InstanceState.JOINING;
import static dev.kiln.common.ring.InstanceState.LEAVING;
import static dev.kiln.common.ring.InstanceState.PENDING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.common.ring.kv.KvBackend;
import dev.kiln.common.ring.kv.KvStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The ring client fed through a real KV store: in-memory and etcd. */
class RingIT {

    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final String KEY = "ring";
    static final Duration WAIT = Duration.ofSeconds(10);
    static final RingConfig RF1 = RingConfig.DEFAULT;
    static final RingConfig RF3 = RingConfig.DEFAULT.withReplicationFactor(3);

    private final MutableClock clock = new MutableClock(T0);
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private KvStore store;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : toClose.reversed()) {
            closeable.close();
        }
    }

    static InstanceDesc instance(String id, String zone, InstanceState state, Instant heartbeat, long... tokens) {
        int[] ints = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            ints[i] = Tokens.fromUnsigned(tokens[i]);
        }
        return new InstanceDesc(id, id + ":9095", zone, state, ints, T0, heartbeat);
    }

    static InstanceDesc active(String id, long... tokens) {
        return instance(id, "", ACTIVE, T0, tokens);
    }

    /** Stores {@code desc} and returns a started ring client that has seen it. */
    private Ring ring(KvBackend backend, RingConfig config, RingDesc desc) throws Exception {
        if (store == null) {
            store = backend.open("ring-it-" + UUID.randomUUID() + "/");
            toClose.add(store);
        }
        write(desc);
        Ring ring = new Ring(config, store, KEY, clock);
        ring.startAsync().awaitRunning();
        toClose.add(() -> ring.stopAsync().awaitTerminated());
        ring.awaitUntil(desc::equals, WAIT);
        return ring;
    }

    private void write(RingDesc desc) {
        store.update(KEY, ignored -> RingCodec.encode(desc));
    }

    private static List<String> ids(ReplicationSet set) {
        return set.instances().stream().map(InstanceDesc::id).toList();
    }

    private static int key(long unsigned) {
        return Tokens.fromUnsigned(unsigned);
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void lookupTakesFirstTokenAfterKeyAndWrapsAround(KvBackend backend) throws Exception {
        Ring ring = ring(backend, RF1, RingDesc.of(active("a", 100, 400), active("b", 200, 500), active("c", 300, 600)));

        assertEquals(List.of("a"), ids(ring.get(key(50), Operation.WRITE)));
        assertEquals(List.of("b"), ids(ring.get(key(100), Operation.WRITE)), "a key equal to a token goes to the next");
        assertEquals(List.of("b"), ids(ring.get(key(150), Operation.WRITE)));
        assertEquals(List.of("c"), ids(ring.get(key(599), Operation.WRITE)));
        assertEquals(List.of("a"), ids(ring.get(key(600), Operation.WRITE)), "past the last token wraps to the first");
        assertEquals(List.of("a"), ids(ring.get(key(4294967295L), Operation.WRITE)));
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void tokensAndKeysCompareUnsigned(KvBackend backend) throws Exception {
        Ring ring = ring(backend, RF1, RingDesc.of(active("a", 100), active("d", 0xF0000000L)));

        assertEquals(List.of("d"), ids(ring.get(key(700), Operation.WRITE)));
        assertEquals(List.of("d"), ids(ring.get(key(0x80000000L), Operation.WRITE)));
        assertEquals(List.of("a"), ids(ring.get(key(0xF0000001L), Operation.WRITE)));
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void replicaSetsHoldDistinctInstancesInWalkOrder(KvBackend backend) throws Exception {
        Ring ring = ring(backend, RF3,
                RingDesc.of(active("a", 100, 150), active("b", 200), active("c", 300), active("d", 400)));

        ReplicationSet set = ring.get(key(50), Operation.WRITE);
        assertEquals(List.of("a", "b", "c"), ids(set), "a's second token is skipped");
        assertEquals(1, set.maxErrors());
        assertEquals(List.of("c", "d", "a"), ids(ring.get(key(250), Operation.WRITE)));
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void replicationFactorAboveRingSizeUsesEveryInstanceAndKeepsRfQuorum(KvBackend backend) throws Exception {
        Ring ring = ring(backend, RF3, RingDesc.of(active("a", 100), active("b", 200)));

        ReplicationSet set = ring.get(key(50), Operation.WRITE);
        assertEquals(List.of("a", "b"), ids(set));
        assertEquals(2, set.minSuccess(), "quorum of RF 3 is 2, even with 2 instances");
        assertEquals(0, set.maxErrors());
    }

    static Stream<Arguments> quorums() {
        return Stream.of(KvBackend.values()).flatMap(backend -> Stream.of(
                Arguments.of(backend, 1, 1, 0),
                Arguments.of(backend, 2, 2, 0),
                Arguments.of(backend, 3, 2, 1),
                Arguments.of(backend, 5, 3, 2)));
    }

    @ParameterizedTest(name = "{0} RF {1}: minSuccess {2}, maxErrors {3}")
    @MethodSource("quorums")
    void quorumIsHalfTheReplicationFactorPlusOne(KvBackend backend, int rf, int minSuccess, int maxErrors)
            throws Exception {
        RingDesc desc = RingDesc.EMPTY;
        for (int i = 0; i < rf; i++) {
            desc = desc.with(active("i" + i, 100L * (i + 1)));
        }
        Ring ring = ring(backend, RF1.withReplicationFactor(rf), desc);

        ReplicationSet set = ring.get(key(50), Operation.WRITE);
        assertEquals(rf, set.instances().size());
        assertEquals(minSuccess, set.minSuccess());
        assertEquals(maxErrors, set.maxErrors());
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void zoneAwarenessTakesOneInstancePerZone(KvBackend backend) throws Exception {
        RingDesc desc = RingDesc.of(
                instance("a", "z1", ACTIVE, T0, 100), instance("b", "z1", ACTIVE, T0, 200),
                instance("c", "z2", ACTIVE, T0, 300), instance("d", "z2", ACTIVE, T0, 400),
                instance("e", "z3", ACTIVE, T0, 500));
        Ring zoned = ring(backend, RF3.withZoneAwareness(true), desc);
        Ring unzoned = ring(backend, RF3, desc);

        assertEquals(List.of("a", "c", "e"), ids(zoned.get(key(50), Operation.WRITE)));
        assertEquals(List.of("c", "e", "a"), ids(zoned.get(key(250), Operation.READ)));
        assertEquals(List.of("a", "b", "c"), ids(unzoned.get(key(50), Operation.WRITE)));
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void zoneAwarenessWithFewerZonesThanReplicasStopsAtOnePerZone(KvBackend backend) throws Exception {
        Ring ring = ring(backend, RF3.withZoneAwareness(true), RingDesc.of(
                instance("a", "z1", ACTIVE, T0, 100), instance("b", "z1", ACTIVE, T0, 200),
                instance("c", "z2", ACTIVE, T0, 300), instance("d", "z2", ACTIVE, T0, 400)));

        ReplicationSet set = ring.get(key(50), Operation.WRITE);
        assertEquals(List.of("a", "c"), ids(set));
        assertEquals(0, set.maxErrors());
    }

    /**
     * b, in the given state, owns the token after key 50; a, c, d, e are ACTIVE. Writes always
     * extend past b. Reads extend past JOINING and PENDING, not LEAVING; PENDING and LEAVING are
     * readable. With 4 walked the quorum is 4/2+1 = 3, with 3 walked it is 2.
     */
    static Stream<Arguments> extensions() {
        return Stream.of(KvBackend.values()).flatMap(backend -> Stream.of(
                Arguments.of(backend, JOINING, List.of("a", "c", "d"), 0, List.of("a", "c", "d"), 0),
                Arguments.of(backend, LEAVING, List.of("a", "c", "d"), 0, List.of("a", "b", "c"), 1),
                Arguments.of(backend, PENDING, List.of("a", "c", "d"), 0, List.of("a", "b", "c", "d"), 1)));
    }

    @ParameterizedTest(name = "{0} b {1}: write {2} maxErrors {3}, read {4} maxErrors {5}")
    @MethodSource("extensions")
    void nonActiveInstancesExtendTheReplicaSet(KvBackend backend, InstanceState bState, List<String> write,
            int writeMaxErrors, List<String> read, int readMaxErrors) throws Exception {
        Ring ring = ring(backend, RF3, RingDesc.of(active("a", 100), instance("b", "", bState, T0, 200),
                active("c", 300), active("d", 400), active("e", 500)));

        ReplicationSet writeSet = ring.get(key(50), Operation.WRITE);
        assertEquals(write, ids(writeSet));
        assertEquals(writeMaxErrors, writeSet.maxErrors());
        ReplicationSet readSet = ring.get(key(50), Operation.READ);
        assertEquals(read, ids(readSet));
        assertEquals(readMaxErrors, readSet.maxErrors());
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void zoneAwareExtensionTakesTheNextInstanceOfTheSameZone(KvBackend backend) throws Exception {
        Ring ring = ring(backend, RF3.withZoneAwareness(true), RingDesc.of(
                instance("a", "z1", JOINING, T0, 100), instance("b", "z1", ACTIVE, T0, 200),
                instance("c", "z2", ACTIVE, T0, 300), instance("d", "z3", ACTIVE, T0, 400)));

        ReplicationSet write = ring.get(key(50), Operation.WRITE);
        assertEquals(List.of("b", "c", "d"), ids(write));
        assertEquals(0, write.maxErrors());
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void staleActiveInstanceIsDroppedNotReplacedAndSpendsTheErrorBudget(KvBackend backend) throws Exception {
        Instant stale = T0.minus(Duration.ofMinutes(2));
        Ring ring = ring(backend, RF3, RingDesc.of(instance("a", "", ACTIVE, stale, 100), active("b", 200),
                active("c", 300), active("d", 400)));

        ReplicationSet write = ring.get(key(50), Operation.WRITE);
        assertEquals(List.of("b", "c"), ids(write));
        assertEquals(0, write.maxErrors());

        write(RingDesc.of(instance("a", "", ACTIVE, stale, 100), instance("b", "", ACTIVE, stale, 200),
                active("c", 300), active("d", 400)));
        ring.awaitUntil(desc -> desc.instance("b").orElseThrow().heartbeat().equals(stale), WAIT);
        RingUnavailableException error = assertThrows(RingUnavailableException.class,
                () -> ring.get(key(50), Operation.WRITE));
        assertEquals("at least 2 live replicas required, could only find 1 - unhealthy instances: a:9095,b:9095",
                error.getMessage());
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void healthyReplicasNeedNoQuorumAndKeepWalkOrder(KvBackend backend) throws Exception {
        Instant stale = T0.minus(Duration.ofMinutes(2));
        RingConfig rf2 = RingConfig.DEFAULT.withReplicationFactor(2);
        Ring ring = ring(backend, rf2, RingDesc.of(instance("a", "", ACTIVE, stale, 100), active("b", 200), active("c", 300)));

        // A block owned by a (dead) and b is still served by b alone, where get() wants a quorum of 2.
        assertEquals(List.of("b"), ring.healthyReplicas(key(50), Operation.READ).stream().map(InstanceDesc::id).toList());
        assertThrows(RingUnavailableException.class, () -> ring.get(key(50), Operation.READ));
        assertEquals(List.of("b", "c"), ring.healthyReplicas(key(150), Operation.READ).stream().map(InstanceDesc::id).toList());

        // Ownership ignores health, so every member decides from the same ring state.
        assertTrue(ring.isOwner(key(50), Operation.READ, "a"));
        assertTrue(ring.isOwner(key(50), Operation.READ, "b"));
        assertFalse(ring.isOwner(key(50), Operation.READ, "c"));

        write(RingDesc.of(instance("a", "", ACTIVE, stale, 100), instance("b", "", ACTIVE, stale, 200)));
        ring.awaitUntil(desc -> desc.instances().size() == 2, WAIT);
        assertEquals("no healthy replica in ring 'ring' for this key",
                assertThrows(RingUnavailableException.class, () -> ring.healthyReplicas(key(50), Operation.READ)).getMessage());
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void heartbeatOlderThanTimeoutMakesInstanceUnhealthy(KvBackend backend) throws Exception {
        RingDesc desc = RingDesc.of(active("a", 100));
        Ring ring = ring(backend, RF1, desc);
        Ring noTimeout = ring(backend, RF1.withHeartbeatTimeout(Duration.ZERO), desc);

        clock.set(T0.plusSeconds(60));
        assertEquals(List.of("a"), ids(ring.get(key(50), Operation.WRITE)), "exactly the timeout is still healthy");

        clock.set(T0.plusSeconds(61));
        assertEquals("at least 1 live replicas required, could only find 0 - unhealthy instances: a:9095",
                assertThrows(RingUnavailableException.class, () -> ring.get(key(50), Operation.READ)).getMessage());
        assertEquals(List.of(), ids(ring.getAllHealthy(Operation.READ)));

        clock.set(T0.plus(Duration.ofDays(1)));
        assertEquals(List.of("a"), ids(noTimeout.get(key(50), Operation.WRITE)), "timeout 0 disables the check");
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void getAllHealthyAppliesTheOperationsStates(KvBackend backend) throws Exception {
        Ring ring = ring(backend, RF3, RingDesc.of(active("a", 100), instance("b", "", JOINING, T0, 200),
                instance("c", "", LEAVING, T0, 300), instance("d", "", PENDING, T0),
                instance("e", "", ACTIVE, T0.minus(Duration.ofMinutes(5)), 500)));

        ReplicationSet write = ring.getAllHealthy(Operation.WRITE);
        assertEquals(List.of("a"), ids(write));
        assertEquals(0, write.maxErrors());
        assertEquals(List.of("a", "c", "d"), ids(ring.getAllHealthy(Operation.READ)));
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void emptyRingIsUnavailable(KvBackend backend) throws Exception {
        Ring ring = ring(backend, RF1, RingDesc.of(instance("p", "", PENDING, T0)));

        assertEquals("ring 'ring' is empty: no instance owns tokens",
                assertThrows(RingUnavailableException.class, () -> ring.get(key(1), Operation.WRITE)).getMessage());

        store.delete(KEY);
        ring.awaitUntil(desc -> desc.instances().isEmpty(), WAIT);
        assertEquals("ring 'ring' is empty: no instance registered",
                assertThrows(RingUnavailableException.class, () -> ring.getAllHealthy(Operation.READ)).getMessage());
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void ringFollowsKvChangesAndSurvivesUnreadableState(KvBackend backend) throws Exception {
        Ring ring = ring(backend, RF1, RingDesc.of(active("a", 100)));

        write(RingDesc.of(active("a", 100), active("b", 50)));
        ring.awaitUntil(desc -> desc.instance("b").isPresent(), WAIT);
        assertEquals(List.of("b"), ids(ring.get(key(10), Operation.WRITE)));

        store.update(KEY, ignored -> "not json".getBytes(StandardCharsets.UTF_8));
        write(RingDesc.of(active("c", 100)));
        ring.awaitUntil(desc -> desc.instance("c").isPresent(), WAIT);
        assertEquals(List.of("c"), ids(ring.get(key(10), Operation.WRITE)));
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void ownershipIsTheShareOfTheTokenSpace(KvBackend backend) throws Exception {
        Ring ring = ring(backend, RF1, RingDesc.of(active("a", 0, 0x80000000L), active("b", 0x40000000L),
                active("c", 0xC0000000L), instance("p", "", PENDING, T0)));
        assertEquals(Map.of("a", 0.5, "b", 0.25, "c", 0.25, "p", 0.0), ring.ownership());

        Ring zoned = ring(backend, RF1.withZoneAwareness(true), RingDesc.of(instance("a", "z1", ACTIVE, T0, 0),
                instance("b", "z1", ACTIVE, T0, 0x80000000L), instance("c", "z2", ACTIVE, T0, 0x40000000L)));
        assertEquals(Map.of("a", 0.5, "b", 0.5, "c", 1.0), zoned.ownership(), "each zone is a full ring");
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void forgetRemovesOnlyUnhealthyInstances(KvBackend backend) throws Exception {
        Ring ring = ring(backend, RF1, RingDesc.of(active("a", 100),
                instance("b", "", ACTIVE, T0.minus(Duration.ofMinutes(3)), 200)));

        assertEquals("instance 'a' is healthy (last heartbeat 0s ago, timeout 60s); only unhealthy instances can be forgotten",
                assertThrows(IllegalArgumentException.class, () -> ring.forget("a")).getMessage());
        assertEquals("instance 'x' is not in ring 'ring'",
                assertThrows(IllegalArgumentException.class, () -> ring.forget("x")).getMessage());

        ring.forget("b");
        ring.awaitUntil(desc -> desc.instance("b").isEmpty(), WAIT);
        assertEquals(List.of("a"), ring.instances().stream().map(InstanceDesc::id).toList());
    }
}
