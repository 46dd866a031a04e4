package dev.kiln.common.ring.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;

/** {@link KvStoreContract} on a real etcd, plus what only etcd can do: be shared and go away. */
class EtcdKvStoreIT extends KvStoreContract {

    @Override
    protected KvStore open(String prefix) {
        return KvBackend.ETCD.open(prefix);
    }

    @Test
    void prefixIsPartOfTheEtcdKey() {
        store.compareAndSet("ring", 0, bytes("value"));
        try (KvStore unprefixed = KvBackend.ETCD.open("");
                KvStore otherPrefix = KvBackend.ETCD.open(prefix + "other/")) {
            assertEquals("value", text(unprefixed.get(prefix + "ring")));
            assertEquals(Optional.empty(), otherPrefix.get("ring"));
        }
    }

    @Test
    void storeAndWatchRideOutAnEtcdRestart() throws IOException, InterruptedException {
        EtcdProcess.assumeInstalled();
        try (EtcdProcess etcd = EtcdProcess.start();
                KvStore kv = new EtcdKvStore("restart/", KvBackend.etcdConfig(etcd, Duration.ofSeconds(2)))) {
            long v1 = kv.compareAndSet("k", 0, bytes("before")).getAsLong();
            BlockingQueue<Optional<Versioned>> seen = new LinkedBlockingQueue<>();
            try (KvStore.Watch watch = kv.watch("k", seen::add)) {
                assertEquals("before", text(next(seen)));

                etcd.stop();
                KvStoreException down = assertThrows(KvStoreException.class, () -> kv.get("k"));
                assertTrue(down.getMessage().startsWith("etcd get of restart/k "), down.getMessage());

                etcd.restart();
                long v2 = compareAndSetOnceReconnected(kv, v1);
                assertEquals(Optional.of(new Versioned(bytes("after"), v2)), next(seen));
            }
        }
    }

    /** jetcd reconnects with back-off, so the first calls after the restart may still fail. */
    private static long compareAndSetOnceReconnected(KvStore kv, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                OptionalLong written = kv.compareAndSet("k", expected, bytes("after"));
                return written.orElseThrow();
            } catch (KvStoreException stillReconnecting) {
                if (System.nanoTime() > deadline) {
                    throw stillReconnecting;
                }
                Thread.sleep(100);
            }
        }
    }
}
