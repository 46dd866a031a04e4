package dev.kiln.common.ring.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Behaviour every {@link KvStore} must share; subclasses supply the store. */
abstract class KvStoreContract {

    protected KvStore store;
    protected String prefix;

    protected abstract KvStore open(String prefix);

    @BeforeEach
    void openStore() {
        prefix = "contract-" + UUID.randomUUID() + "/";
        store = open(prefix);
    }

    @AfterEach
    void closeStore() {
        // null when the backend was unavailable and the test skipped
        if (store != null) {
            store.close();
        }
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String text(Optional<Versioned> value) {
        return value.map(v -> new String(v.value(), StandardCharsets.UTF_8)).orElse(null);
    }

    @Test
    void absentKeyReadsEmpty() {
        assertEquals(Optional.empty(), store.get("missing"));
    }

    @Test
    void compareAndSetCreatesOnlyAbsentKeysWithVersionZero() {
        OptionalLong created = store.compareAndSet("k", 0, bytes("v1"));
        assertTrue(created.isPresent());
        assertEquals(Optional.of(new Versioned(bytes("v1"), created.getAsLong())), store.get("k"));

        assertEquals(OptionalLong.empty(), store.compareAndSet("k", 0, bytes("again")));
        assertEquals("v1", text(store.get("k")));
    }

    @Test
    void compareAndSetRejectsStaleVersionAndVersionsGrow() {
        long v1 = store.compareAndSet("k", 0, bytes("v1")).getAsLong();
        long v2 = store.compareAndSet("k", v1, bytes("v2")).getAsLong();
        assertTrue(v2 > v1, v2 + " > " + v1);

        assertEquals(OptionalLong.empty(), store.compareAndSet("k", v1, bytes("stale")));
        assertEquals(Optional.of(new Versioned(bytes("v2"), v2)), store.get("k"));
    }

    @Test
    void updateReappliesChangeAfterLosingARace() {
        AtomicInteger calls = new AtomicInteger();
        Optional<Versioned> result = store.update("k", current -> {
            if (calls.incrementAndGet() == 1) {
                // Another writer gets in between this read and our compare-and-swap.
                store.compareAndSet("k", 0, bytes("other"));
            }
            return bytes((current == null ? "" : new String(current, StandardCharsets.UTF_8)) + "+mine");
        });
        assertEquals(2, calls.get());
        assertEquals("other+mine", text(result));
        assertEquals(result, store.get("k"));
    }

    @Test
    void updateReturningNullOrSameArrayLeavesKeyUnchanged() {
        long version = store.compareAndSet("k", 0, bytes("v1")).getAsLong();
        assertEquals(version, store.update("k", current -> null).orElseThrow().version());
        assertEquals(version, store.update("k", current -> current).orElseThrow().version());
        assertEquals(version, store.get("k").orElseThrow().version());
        assertEquals(Optional.empty(), store.update("absent", current -> null));
    }

    @Test
    void updateGivesUpAfterTenLostRaces() {
        AtomicInteger calls = new AtomicInteger();
        KvStoreException error = assertThrows(KvStoreException.class, () -> store.update("k", current -> {
            int call = calls.incrementAndGet();
            store.update("k", ignored -> bytes("interference " + call));
            return bytes("mine");
        }));
        assertEquals(KvStore.MAX_CAS_ATTEMPTS, calls.get());
        assertEquals("gave up updating key k after 10 compare-and-swap attempts lost to concurrent writers",
                error.getMessage());
    }

    @Test
    void deleteRemovesKeyAndToleratesAbsentKeys() {
        store.compareAndSet("k", 0, bytes("v1"));
        store.delete("k");
        assertEquals(Optional.empty(), store.get("k"));
        store.delete("k");
        assertTrue(store.compareAndSet("k", 0, bytes("v2")).isPresent());
    }

    @Test
    void watchDeliversCurrentValueThenEveryChangeInOrder() throws InterruptedException {
        long v1 = store.compareAndSet("k", 0, bytes("v1")).getAsLong();
        BlockingQueue<Optional<Versioned>> seen = new LinkedBlockingQueue<>();
        try (KvStore.Watch watch = store.watch("k", seen::add)) {
            assertEquals(Optional.of(new Versioned(bytes("v1"), v1)), next(seen));

            long v2 = store.compareAndSet("k", v1, bytes("v2")).getAsLong();
            long v3 = store.compareAndSet("k", v2, bytes("v3")).getAsLong();
            store.delete("k");
            long v4 = store.compareAndSet("k", 0, bytes("v4")).getAsLong();

            assertEquals(Optional.of(new Versioned(bytes("v2"), v2)), next(seen));
            assertEquals(Optional.of(new Versioned(bytes("v3"), v3)), next(seen));
            assertEquals(Optional.empty(), next(seen));
            assertEquals(Optional.of(new Versioned(bytes("v4"), v4)), next(seen));
        }
    }

    @Test
    void watchOfAbsentKeyStartsEmptyAndClosedWatchGetsNothingMore() throws InterruptedException {
        BlockingQueue<Optional<Versioned>> closedWatchSeen = new LinkedBlockingQueue<>();
        KvStore.Watch watch = store.watch("k", closedWatchSeen::add);
        assertEquals(Optional.empty(), next(closedWatchSeen));
        watch.close();

        BlockingQueue<Optional<Versioned>> openWatchSeen = new LinkedBlockingQueue<>();
        try (KvStore.Watch open = store.watch("k", openWatchSeen::add)) {
            assertEquals(Optional.empty(), next(openWatchSeen));
            store.compareAndSet("k", 0, bytes("after close"));
            assertEquals("after close", text(next(openWatchSeen)));
        }
        assertNull(closedWatchSeen.poll());
    }

    @Test
    void watchesOnlySeeTheirKey() throws InterruptedException {
        BlockingQueue<Optional<Versioned>> seen = new LinkedBlockingQueue<>();
        try (KvStore.Watch watch = store.watch("a", seen::add)) {
            assertEquals(Optional.empty(), next(seen));
            store.compareAndSet("ab", 0, bytes("longer key"));
            store.compareAndSet("b", 0, bytes("other key"));
            store.compareAndSet("a", 0, bytes("mine"));
            assertEquals("mine", text(next(seen)));
        }
    }

    @Test
    void closedStoreRejectsCalls() {
        store.close();
        KvStoreException error = assertThrows(KvStoreException.class, () -> store.get("k"));
        assertTrue(error.getMessage().endsWith("KV store with prefix '" + prefix + "' is closed"), error.getMessage());
    }

    static Optional<Versioned> next(BlockingQueue<Optional<Versioned>> queue) throws InterruptedException {
        Optional<Versioned> value = queue.poll(10, TimeUnit.SECONDS);
        assertNotNull(value, "no watch delivery within 10s");
        return value;
    }
}
