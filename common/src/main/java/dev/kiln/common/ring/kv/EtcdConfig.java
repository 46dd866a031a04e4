package dev.kiln.common.ring.kv;

import java.time.Duration;
import java.util.List;

/**
 * Connection settings for {@code ring.kvstore.store: etcd}.
 *
 * <ul>
 *   <li>{@code ring.kvstore.etcd.endpoints} — etcd client URLs, e.g. {@code http://etcd-0:2379};
 *       default none, required when the store is etcd.
 *   <li>{@code ring.kvstore.etcd.dial_timeout} — default 10s (dskit's default). Bounds the
 *       connection attempt and also every single KV request, since jetcd connects lazily on the
 *       first request and retries transient failures internally.
 *   <li>{@code ring.kvstore.etcd.username} / {@code ring.kvstore.etcd.password} — default empty:
 *       etcd authentication off.
 * </ul>
 */
public record EtcdConfig(List<String> endpoints, Duration dialTimeout, String username, String password) {

    public static final EtcdConfig DEFAULT = new EtcdConfig(List.of(), Duration.ofSeconds(10), "", "");

    public EtcdConfig {
        endpoints = List.copyOf(endpoints);
        if (dialTimeout == null || dialTimeout.isNegative() || dialTimeout.isZero()) {
            throw new IllegalArgumentException("ring.kvstore.etcd.dial_timeout must be positive, got " + dialTimeout);
        }
        username = username == null ? "" : username;
        password = password == null ? "" : password;
        if (username.isEmpty() && !password.isEmpty()) {
            throw new IllegalArgumentException("ring.kvstore.etcd.password is set but ring.kvstore.etcd.username is empty");
        }
    }

    /** Keeps the password out of logs and error messages. */
    @Override
    public String toString() {
        return "EtcdConfig[endpoints=" + endpoints + ", dialTimeout=" + dialTimeout + ", username=" + username
                + ", password=" + (password.isEmpty() ? "" : "***") + "]";
    }
}
