package dev.kiln.common.ring.kv;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * A {@link KvStore} living in this JVM ({@code ring.kvstore.store: inmemory}), for single-process
 * deployments and tests. Every ring client and lifecycler of the process must share one instance,
 * because nothing is persisted or replicated.
 *
 * <p>It mimics etcd closely enough that the ring code cannot tell the two apart: versions come from
 * one store-wide counter (like etcd's revision), and watch listeners run asynchronously, in version
 * order, on one notifier thread.
 */
public final class InMemoryKvStore implements KvStore {

    private final String prefix;
    private final Map<String, Versioned> entries = new HashMap<>();
    private final Map<String, List<MemoryWatch>> watches = new HashMap<>();
    // One thread keeps deliveries in the order writes happened, as an etcd watch stream does.
    private final ExecutorService notifier = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "inmemory-kv-notifier");
        thread.setDaemon(true);
        return thread;
    });
    private long revision;
    private boolean closed;

    public InMemoryKvStore(String prefix) {
        this.prefix = KvStoreConfig.checkPrefix(prefix);
    }

    @Override
    public synchronized Optional<Versioned> get(String key) {
        checkOpen();
        return Optional.ofNullable(entries.get(prefix + key));
    }

    @Override
    public synchronized OptionalLong compareAndSet(String key, long expectedVersion, byte[] value) {
        checkOpen();
        String fullKey = prefix + key;
        Versioned current = entries.get(fullKey);
        long currentVersion = current == null ? 0 : current.version();
        if (currentVersion != expectedVersion) {
            return OptionalLong.empty();
        }
        Versioned next = new Versioned(value, ++revision);
        entries.put(fullKey, next);
        publish(fullKey, Optional.of(next));
        return OptionalLong.of(next.version());
    }

    @Override
    public synchronized void delete(String key) {
        checkOpen();
        String fullKey = prefix + key;
        if (entries.remove(fullKey) != null) {
            revision++;
            publish(fullKey, Optional.empty());
        }
    }

    @Override
    public synchronized Watch watch(String key, Consumer<Optional<Versioned>> listener) {
        checkOpen();
        String fullKey = prefix + key;
        MemoryWatch watch = new MemoryWatch(fullKey, listener);
        watches.computeIfAbsent(fullKey, k -> new ArrayList<>()).add(watch);
        Optional<Versioned> current = Optional.ofNullable(entries.get(fullKey));
        notifier.execute(() -> watch.deliver(current));
        return watch;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        watches.values().forEach(list -> list.forEach(watch -> watch.active = false));
        watches.clear();
        notifier.shutdown();
    }

    // Called with the store lock held, so tasks reach the notifier queue in version order.
    private void publish(String fullKey, Optional<Versioned> value) {
        for (MemoryWatch watch : watches.getOrDefault(fullKey, List.of())) {
            notifier.execute(() -> watch.deliver(value));
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new KvStoreException("in-memory KV store with prefix '" + prefix + "' is closed");
        }
    }

    private synchronized void remove(MemoryWatch watch) {
        List<MemoryWatch> list = watches.get(watch.fullKey);
        if (list != null) {
            list.remove(watch);
            if (list.isEmpty()) {
                watches.remove(watch.fullKey);
            }
        }
    }

    private final class MemoryWatch implements Watch {
        private final String fullKey;
        private final Consumer<Optional<Versioned>> listener;
        private volatile boolean active = true;

        MemoryWatch(String fullKey, Consumer<Optional<Versioned>> listener) {
            this.fullKey = fullKey;
            this.listener = listener;
        }

        void deliver(Optional<Versioned> value) {
            if (active) {
                WatchListeners.deliver(listener, fullKey, value);
            }
        }

        @Override
        public void close() {
            active = false;
            remove(this);
        }
    }
}
