package dev.kiln.common.ring;

import static dev.kiln.common.ring.InstanceState.ACTIVE;
import static dev.kiln.common.ring.InstanceState.JOINING;
import static dev.kiln.common.ring.InstanceState.LEAVING;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.Service;
import dev.kiln.common.ring.kv.EtcdKvStore;
import dev.kiln.common.ring.kv.EtcdProcess;
import dev.kiln.common.ring.kv.KvBackend;
import dev.kiln.common.ring.kv.KvStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Lifecyclers and ring clients meeting in a real KV store: in-memory and etcd. */
class LifecyclerIT {

    private static final Instant T0 = RingIT.T0;
    private static final String KEY = RingIT.KEY;
    private static final Duration WAIT = RingIT.WAIT;
    // Heartbeats are driven by calling runOneIteration(); the schedule itself never fires in a test.
    private static final Duration NEVER = Duration.ofHours(1);

    private final MutableClock clock = new MutableClock(T0);
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private KvStore store;
    private Ring ring;

    @TempDir
    Path tempDir;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : toClose.reversed()) {
            closeable.close();
        }
    }

    private void open(KvBackend backend) {
        open(backend.open("lifecycler-it-" + UUID.randomUUID() + "/"));
    }

    private void open(KvStore kv) {
        store = kv;
        toClose.add(store);
        ring = startRing(RingConfig.DEFAULT);
    }

    private Ring startRing(RingConfig config) {
        Ring client = new Ring(config, store, KEY, clock);
        client.startAsync().awaitRunning();
        toClose.add(() -> client.stopAsync().awaitTerminated());
        return client;
    }

    private static LifecyclerConfig config(String id, int numTokens, String tokensFile, boolean unregister) {
        return new LifecyclerConfig(id, id + ":9095", "", numTokens, NEVER, tokensFile, unregister);
    }

    private Lifecycler lifecycler(LifecyclerConfig config, RandomGenerator random, Runnable whileJoining) {
        Lifecycler lifecycler = new Lifecycler(config, store, KEY, whileJoining, clock, random);
        toClose.add(() -> {
            if (lifecycler.isRunning()) {
                lifecycler.stopAsync().awaitTerminated();
            }
        });
        return lifecycler;
    }

    private Lifecycler started(LifecyclerConfig config, RandomGenerator random) {
        Lifecycler lifecycler = lifecycler(config, random, () -> {});
        lifecycler.startAsync().awaitRunning();
        return lifecycler;
    }

    private InstanceDesc awaitInstance(String id, Predicate<InstanceDesc> condition) throws Exception {
        return awaitInstance(id, condition, WAIT);
    }

    private InstanceDesc awaitInstance(String id, Predicate<InstanceDesc> condition, Duration timeout)
            throws Exception {
        return ring.awaitUntil(desc -> desc.instance(id).filter(condition).isPresent(), timeout)
                .instance(id).orElseThrow();
    }

    private static List<String> ids(ReplicationSet set) {
        return set.instances().stream().map(InstanceDesc::id).toList();
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void joinsActiveWithGeneratedTokensAsSeenByARingClient(KvBackend backend) throws Exception {
        open(backend);
        Lifecycler lifecycler = started(config("ingester-0", 4, "", true), new Random(42));

        int[] expected = Tokens.generate(4, new int[0], new Random(42));
        assertArrayEquals(expected, lifecycler.tokens());
        assertEquals(ACTIVE, lifecycler.instanceState());
        InstanceDesc seen = awaitInstance("ingester-0", i -> i.state() == ACTIVE);
        assertEquals(new InstanceDesc("ingester-0", "ingester-0:9095", "", ACTIVE, expected, T0, T0), seen);
        assertEquals(List.of("ingester-0"), ids(ring.get(expected[0], Operation.WRITE)));
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void joiningInstanceIsSkippedByWritesUntilActive(KvBackend backend) throws Exception {
        open(backend);
        Ring rf2 = startRing(RingConfig.DEFAULT.withReplicationFactor(2));
        started(config("a", 1, "", true), new Random(1));
        started(config("c", 1, "", true), new Random(3));
        CountDownLatch joining = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Lifecycler b = lifecycler(config("b", 1, "", true), new Random(2), () -> {
            joining.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        b.startAsync();
        assertTrue(joining.await(10, TimeUnit.SECONDS));

        InstanceDesc joiningB = rf2.awaitUntil(desc -> desc.instance("b").filter(i -> i.state() == JOINING)
                .isPresent() && desc.instances().size() == 3, WAIT).instance("b").orElseThrow();
        int justBeforeB = joiningB.tokens()[0] - 1;
        ReplicationSet whileJoining = rf2.get(justBeforeB, Operation.WRITE);
        assertEquals(Set.of("a", "c"), Set.copyOf(ids(whileJoining)), "JOINING b extends the set past itself");
        assertEquals(0, whileJoining.maxErrors(), "3 walked: quorum 2 of the 2 healthy");

        release.countDown();
        b.awaitRunning();
        rf2.awaitUntil(desc -> desc.instance("b").filter(i -> i.state() == ACTIVE).isPresent(), WAIT);
        List<String> active = ids(rf2.get(justBeforeB, Operation.WRITE));
        assertEquals("b", active.get(0));
        assertEquals(2, active.size());
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void leaveThenStopUnregistersFromTheRing(KvBackend backend) throws Exception {
        open(backend);
        Lifecycler lifecycler = started(config("ingester-0", 2, "", true), new Random(3));
        int token = lifecycler.tokens()[0];

        lifecycler.leave();
        awaitInstance("ingester-0", i -> i.state() == LEAVING);
        assertEquals("at least 1 live replicas required, could only find 0 - unhealthy instances: ingester-0:9095",
                assertThrows(RingUnavailableException.class, () -> ring.get(token, Operation.WRITE)).getMessage());
        assertEquals(List.of("ingester-0"), ids(ring.get(token, Operation.READ)), "LEAVING still serves reads");

        lifecycler.stopAsync().awaitTerminated();
        ring.awaitUntil(desc -> desc.instances().isEmpty(), WAIT);
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void stopWithoutUnregisterLeavesALeavingEntry(KvBackend backend) throws Exception {
        open(backend);
        Lifecycler lifecycler = started(config("ingester-0", 2, "", false), new Random(4));

        lifecycler.stopAsync().awaitTerminated();

        InstanceDesc left = awaitInstance("ingester-0", i -> i.state() == LEAVING);
        assertArrayEquals(lifecycler.tokens(), left.tokens());
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void heartbeatsRefreshTheTimestampAndKeepTheInstanceHealthy(KvBackend backend) throws Exception {
        open(backend);
        Lifecycler lifecycler = started(config("ingester-0", 2, "", true), new Random(5));
        int token = lifecycler.tokens()[0];

        clock.set(T0.plusSeconds(61));
        assertThrows(RingUnavailableException.class, () -> ring.get(token, Operation.WRITE),
                "61s without heartbeat: unhealthy");

        lifecycler.runOneIteration();
        InstanceDesc seen = awaitInstance("ingester-0", i -> i.heartbeat().equals(T0.plusSeconds(61)));
        assertEquals(T0, seen.registeredAt());
        assertEquals(List.of("ingester-0"), ids(ring.get(token, Operation.WRITE)));
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void forgottenInstanceRegistersAgainAtNextHeartbeat(KvBackend backend) throws Exception {
        open(backend);
        Lifecycler lifecycler = started(config("ingester-0", 2, "", true), new Random(6));

        clock.set(T0.plus(Duration.ofMinutes(2)));
        ring.forget("ingester-0");
        ring.awaitUntil(desc -> desc.instances().isEmpty(), WAIT);

        lifecycler.runOneIteration();
        InstanceDesc back = awaitInstance("ingester-0", i -> true);
        assertEquals(new InstanceDesc("ingester-0", "ingester-0:9095", "", ACTIVE, lifecycler.tokens(), T0,
                T0.plus(Duration.ofMinutes(2))), back);
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void newTokensAvoidTokensOwnedByOthers(KvBackend backend) throws Exception {
        open(backend);
        Random reference = new Random(7);
        long[] firstDraws = {Integer.toUnsignedLong(reference.nextInt()), Integer.toUnsignedLong(reference.nextInt()),
                Integer.toUnsignedLong(reference.nextInt())};
        int[] laterDraws = {reference.nextInt(), reference.nextInt(), reference.nextInt()};
        store.update(KEY, ignored -> RingCodec.encode(RingDesc.of(RingIT.active("other", firstDraws))));

        Lifecycler lifecycler = started(config("ingester-0", 3, "", true), new Random(7));

        assertArrayEquals(Tokens.sortedCopy(laterDraws), lifecycler.tokens());
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void tokensFileKeepsTokensAcrossRestarts(KvBackend backend) throws Exception {
        open(backend);
        Path file = tempDir.resolve("tokens.json");
        Lifecycler first = started(config("ingester-0", 3, file.toString(), true), new Random(8));
        int[] tokens = first.tokens();
        first.stopAsync().awaitTerminated();
        ring.awaitUntil(desc -> desc.instances().isEmpty(), WAIT);

        StringBuilder expectedFile = new StringBuilder("{\"tokens\":[");
        for (int i = 0; i < tokens.length; i++) {
            expectedFile.append(i == 0 ? "" : ",").append(Tokens.toUnsigned(tokens[i]));
        }
        assertEquals(expectedFile.append("]}").toString(), Files.readString(file));

        Lifecycler second = started(config("ingester-0", 3, file.toString(), true), new Random(9));
        assertArrayEquals(tokens, second.tokens());
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void savedTokensOwnedByOthersAreReplaced(KvBackend backend) throws Exception {
        open(backend);
        Path file = tempDir.resolve("tokens.json");
        Files.writeString(file, "{\"tokens\":[10,20,30]}");
        store.update(KEY, ignored -> RingCodec.encode(RingDesc.of(RingIT.active("other", 20))));

        Lifecycler lifecycler = started(config("ingester-0", 3, file.toString(), true), new Random(10));

        assertArrayEquals(Tokens.sortedCopy(new int[] {10, 30, new Random(10).nextInt()}), lifecycler.tokens());
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void restartReusesTokensAndRegistrationTimeStillInTheRing(KvBackend backend) throws Exception {
        open(backend);
        Lifecycler first = started(config("ingester-0", 3, "", false), new Random(11));
        first.stopAsync().awaitTerminated();
        awaitInstance("ingester-0", i -> i.state() == LEAVING);

        clock.set(T0.plus(Duration.ofMinutes(10)));
        Lifecycler second = started(config("ingester-0", 3, "", true), new Random(12));

        assertArrayEquals(first.tokens(), second.tokens());
        InstanceDesc seen = awaitInstance("ingester-0", i -> i.state() == ACTIVE);
        assertEquals(T0, seen.registeredAt());
        assertEquals(T0.plus(Duration.ofMinutes(10)), seen.heartbeat());
    }

    @ParameterizedTest
    @EnumSource(KvBackend.class)
    void onlyDskitStateTransitionsAreAllowed(KvBackend backend) throws Exception {
        open(backend);
        Lifecycler lifecycler = started(config("ingester-0", 1, "", true), new Random(13));

        assertEquals("changing ring instance ingester-0 from ACTIVE to JOINING is not allowed",
                assertThrows(IllegalStateException.class, () -> lifecycler.changeState(JOINING)).getMessage());
        lifecycler.changeState(LEAVING);
        assertEquals("changing ring instance ingester-0 from LEAVING to ACTIVE is not allowed",
                assertThrows(IllegalStateException.class, () -> lifecycler.changeState(ACTIVE)).getMessage());
        assertEquals(LEAVING, awaitInstance("ingester-0", i -> i.state() == LEAVING).state());
    }

    @Test
    void heartbeatsSurviveAnEtcdOutage() throws Exception {
        EtcdProcess.assumeInstalled();
        EtcdProcess etcd = EtcdProcess.start();
        toClose.add(etcd);
        open(new EtcdKvStore("outage/", KvBackend.etcdConfig(etcd, Duration.ofSeconds(2))));
        Lifecycler lifecycler = started(config("ingester-0", 2, "", true), new Random(14));

        etcd.stop();
        clock.set(T0.plusSeconds(5));
        lifecycler.runOneIteration();
        assertEquals(Service.State.RUNNING, lifecycler.state(), "a failed heartbeat does not stop the service");

        etcd.restart();
        clock.set(T0.plusSeconds(10));
        heartbeatUntilSeen(lifecycler, T0.plusSeconds(10));
        assertEquals(T0.plusSeconds(10), ring.desc().instance("ingester-0").orElseThrow().heartbeat());
        assertEquals(ACTIVE, ring.desc().instance("ingester-0").orElseThrow().state());
    }

    /** jetcd reconnects with back-off: heartbeat until one gets through, as the schedule would. */
    private void heartbeatUntilSeen(Lifecycler lifecycler, Instant heartbeat) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            lifecycler.runOneIteration();
            try {
                awaitInstance(lifecycler.id(), i -> i.heartbeat().equals(heartbeat), Duration.ofSeconds(1));
                return;
            } catch (TimeoutException notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
            }
        }
    }
}
