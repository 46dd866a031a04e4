package dev.kiln.common.ring.kv;

/**
 * Where a ring keeps its state (dskit's {@code kvstore} block).
 *
 * <ul>
 *   <li>{@code ring.kvstore.store} — {@code inmemory} (default: state lives in this process only,
 *       fine for the single binary) or {@code etcd}.
 *   <li>{@code ring.kvstore.prefix} — prepended to every ring key; default {@code collectors/}
 *       (dskit's default), so the ingester ring lives at {@code collectors/ring}.
 *   <li>{@code ring.kvstore.etcd.*} — see {@link EtcdConfig}; only read when the store is etcd.
 * </ul>
 */
public record KvStoreConfig(String store, String prefix, EtcdConfig etcd) {

    public static final String INMEMORY = "inmemory";
    public static final String ETCD = "etcd";
    public static final KvStoreConfig DEFAULT = new KvStoreConfig(INMEMORY, "collectors/", EtcdConfig.DEFAULT);

    public KvStoreConfig {
        if (!INMEMORY.equals(store) && !ETCD.equals(store)) {
            throw new IllegalArgumentException("ring.kvstore.store must be '" + INMEMORY + "' or '" + ETCD
                    + "', got '" + store + "'");
        }
        checkPrefix(prefix);
        if (etcd == null) {
            throw new IllegalArgumentException("ring.kvstore.etcd must not be null");
        }
    }

    /**
     * Opens the configured store. Callers own the result and must close it; in the single binary
     * one {@code inmemory} store must be shared by all components, since two are two separate rings.
     */
    public KvStore open() {
        return switch (store) {
            case INMEMORY -> new InMemoryKvStore(prefix);
            case ETCD -> new EtcdKvStore(prefix, etcd);
            default -> throw new IllegalStateException("unreachable: store validated in constructor");
        };
    }

    static String checkPrefix(String prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("ring.kvstore.prefix must not be null (use \"\" for no prefix)");
        }
        return prefix;
    }
}
