package dev.kiln.common.ring.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class KvStoreConfigTest {

    @Test
    void defaultsAreInMemoryWithDskitPrefix() {
        assertEquals(new KvStoreConfig("inmemory", "collectors/",
                new EtcdConfig(List.of(), Duration.ofSeconds(10), "", "")), KvStoreConfig.DEFAULT);
        try (KvStore store = KvStoreConfig.DEFAULT.open()) {
            assertInstanceOf(InMemoryKvStore.class, store);
        }
    }

    @Test
    void unknownStoreIsRejectedByName() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new KvStoreConfig("consul", "collectors/", EtcdConfig.DEFAULT));
        assertEquals("ring.kvstore.store must be 'inmemory' or 'etcd', got 'consul'", error.getMessage());
    }

    @Test
    void etcdSettingsAreValidated() {
        assertEquals("ring.kvstore.etcd.dial_timeout must be positive, got PT0S",
                assertThrows(IllegalArgumentException.class,
                        () -> new EtcdConfig(List.of("http://etcd:2379"), Duration.ZERO, "", "")).getMessage());
        assertEquals("ring.kvstore.etcd.password is set but ring.kvstore.etcd.username is empty",
                assertThrows(IllegalArgumentException.class,
                        () -> new EtcdConfig(List.of("http://etcd:2379"), Duration.ofSeconds(1), "", "pw")).getMessage());
    }

    @Test
    void etcdStoreNeedsEndpoints() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new KvStoreConfig(KvStoreConfig.ETCD, "p/", EtcdConfig.DEFAULT).open());
        assertEquals("ring.kvstore.etcd.endpoints must list at least one etcd URL when ring.kvstore.store is etcd",
                error.getMessage());
    }

    @Test
    void passwordStaysOutOfConfigToString() {
        EtcdConfig config = new EtcdConfig(List.of("http://etcd:2379"), Duration.ofSeconds(10), "kiln", "s3cret");
        assertEquals("EtcdConfig[endpoints=[http://etcd:2379], dialTimeout=PT10S, username=kiln, password=***]",
                config.toString());
    }
}
