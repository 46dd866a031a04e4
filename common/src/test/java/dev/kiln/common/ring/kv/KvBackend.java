package dev.kiln.common.ring.kv;

import java.time.Duration;
import java.util.List;

/**
 * The KV stores ring tests run against, for {@code @EnumSource(KvBackend.class)}. {@link #ETCD}
 * uses the JVM-wide {@link EtcdProcess#shared()} etcd and skips the test when etcd is not
 * installed.
 */
public enum KvBackend {
    INMEMORY {
        @Override
        public KvStore open(String prefix) {
            return new InMemoryKvStore(prefix);
        }
    },
    ETCD {
        @Override
        public KvStore open(String prefix) {
            return new EtcdKvStore(prefix, etcdConfig(EtcdProcess.shared(), Duration.ofSeconds(10)));
        }
    };

    /** A fresh store on this backend; use a unique prefix per test to keep tests apart. */
    public abstract KvStore open(String prefix);

    /** Client settings for {@code etcd}. */
    public static EtcdConfig etcdConfig(EtcdProcess etcd, Duration dialTimeout) {
        return new EtcdConfig(List.of(etcd.endpoint()), dialTimeout, "", "");
    }
}
