package dev.kiln.common.ring.kv;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link KvStore} on etcd v3 through jetcd ({@code ring.kvstore.store: etcd}).
 *
 * <p>Versions are etcd {@code mod_revision}s; compare-and-swap is a transaction guarded by
 * {@code mod_revision == expected} (etcd compares an absent key as revision 0). Watches read the
 * key, then watch from the following revision so no change falls between the two; jetcd resumes a
 * broken watch stream by itself, and when etcd cancels a watch for good (for instance after a
 * compaction) this store reads the key again and starts a new one.
 */
public final class EtcdKvStore implements KvStore {

    private static final Logger log = LoggerFactory.getLogger(EtcdKvStore.class);
    private static final Duration RESUBSCRIBE_DELAY = Duration.ofSeconds(1);

    private final String prefix;
    private final Duration requestTimeout;
    private final Client client;
    // Deliveries and re-subscriptions run here, one at a time, so each watch sees values in order.
    private final ScheduledExecutorService notifier = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "etcd-kv-notifier");
        thread.setDaemon(true);
        return thread;
    });
    private final Set<EtcdWatch> watches = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public EtcdKvStore(String prefix, EtcdConfig config) {
        this.prefix = KvStoreConfig.checkPrefix(prefix);
        if (config.endpoints().isEmpty()) {
            throw new IllegalArgumentException(
                    "ring.kvstore.etcd.endpoints must list at least one etcd URL when ring.kvstore.store is etcd");
        }
        this.requestTimeout = config.dialTimeout();
        ClientBuilder builder;
        try {
            builder = Client.builder()
                    .endpoints(config.endpoints().toArray(String[]::new))
                    .connectTimeout(config.dialTimeout());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ring.kvstore.etcd.endpoints " + config.endpoints()
                    + " is not a list of etcd URLs: " + e.getMessage(), e);
        }
        if (!config.username().isEmpty()) {
            builder.user(bytes(config.username())).password(bytes(config.password()));
        }
        this.client = builder.build();
    }

    @Override
    public Optional<Versioned> get(String key) {
        return versioned(await(client.getKVClient().get(bytes(prefix + key)), "get of " + prefix + key));
    }

    @Override
    public OptionalLong compareAndSet(String key, long expectedVersion, byte[] value) {
        ByteSequence fullKey = bytes(prefix + key);
        TxnResponse response = await(client.getKVClient().txn()
                        .If(new Cmp(fullKey, Cmp.Op.EQUAL, CmpTarget.modRevision(expectedVersion)))
                        .Then(Op.put(fullKey, ByteSequence.from(value), PutOption.DEFAULT))
                        .commit(),
                "compare-and-swap of " + prefix + key);
        // The transaction's header revision is the revision its put created, i.e. the new mod_revision.
        return response.isSucceeded() ? OptionalLong.of(response.getHeader().getRevision()) : OptionalLong.empty();
    }

    @Override
    public void delete(String key) {
        await(client.getKVClient().delete(bytes(prefix + key)), "delete of " + prefix + key);
    }

    @Override
    public Watch watch(String key, Consumer<Optional<Versioned>> listener) {
        checkOpen();
        EtcdWatch watch = new EtcdWatch(prefix + key, listener);
        watch.subscribe();
        watches.add(watch);
        return watch;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        watches.forEach(EtcdWatch::close);
        notifier.shutdownNow();
        client.close();
    }

    private <T> T await(CompletableFuture<T> future, String what) {
        checkOpen();
        try {
            return future.get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new KvStoreException("interrupted during etcd " + what, e);
        } catch (ExecutionException e) {
            throw new KvStoreException("etcd " + what + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new KvStoreException("etcd " + what + " got no answer within " + requestTimeout
                    + " (ring.kvstore.etcd.dial_timeout)", e);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new KvStoreException("etcd KV store with prefix '" + prefix + "' is closed");
        }
    }

    private static Optional<Versioned> versioned(GetResponse response) {
        return response.getKvs().stream().findFirst().map(EtcdKvStore::versioned);
    }

    private static Versioned versioned(KeyValue kv) {
        return new Versioned(kv.getValue().getBytes(), kv.getModRevision());
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    private final class EtcdWatch implements Watch, io.etcd.jetcd.Watch.Listener {
        private final String fullKey;
        private final Consumer<Optional<Versioned>> listener;
        private volatile io.etcd.jetcd.Watch.Watcher watcher;
        private volatile boolean stopped;
        // Only touched on the notifier thread: a re-subscription re-reads a value already delivered.
        private Optional<Versioned> lastDelivered;

        EtcdWatch(String fullKey, Consumer<Optional<Versioned>> listener) {
            this.fullKey = fullKey;
            this.listener = listener;
        }

        void subscribe() {
            GetResponse response = await(client.getKVClient().get(bytes(fullKey)), "get of " + fullKey);
            Optional<Versioned> current = versioned(response);
            notifier.execute(() -> deliver(current));
            WatchOption fromNextRevision =
                    WatchOption.builder().withRevision(response.getHeader().getRevision() + 1).build();
            watcher = client.getWatchClient().watch(bytes(fullKey), fromNextRevision, this);
        }

        @Override
        public void onNext(WatchResponse response) {
            for (WatchEvent event : response.getEvents()) {
                Optional<Versioned> value = switch (event.getEventType()) {
                    case PUT -> Optional.of(versioned(event.getKeyValue()));
                    case DELETE -> Optional.empty();
                    case UNRECOGNIZED -> null;
                };
                if (value != null) {
                    notifier.execute(() -> deliver(value));
                }
            }
        }

        @Override
        public void onError(Throwable error) {
            // jetcd resumes retryable failures itself and calls onCompleted when it gives up.
            log.atWarn().addKeyValue("key", fullKey).addKeyValue("error", error.getMessage())
                    .log("etcd watch interrupted");
        }

        @Override
        public void onCompleted() {
            if (!stopped && !closed) {
                log.atWarn().addKeyValue("key", fullKey).log("etcd ended the watch, re-reading the key and watching again");
                scheduleResubscribe();
            }
        }

        private void scheduleResubscribe() {
            notifier.schedule(() -> {
                if (stopped || closed) {
                    return;
                }
                try {
                    subscribe();
                } catch (KvStoreException e) {
                    log.atWarn().addKeyValue("key", fullKey).addKeyValue("error", e.getMessage())
                            .log("etcd watch re-subscription failed, retrying");
                    scheduleResubscribe();
                }
            }, RESUBSCRIBE_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        }

        private void deliver(Optional<Versioned> value) {
            if (stopped || value.equals(lastDelivered)) {
                return;
            }
            lastDelivered = value;
            WatchListeners.deliver(listener, fullKey, value);
        }

        @Override
        public void close() {
            stopped = true;
            watches.remove(this);
            io.etcd.jetcd.Watch.Watcher current = watcher;
            if (current != null) {
                current.close();
            }
        }
    }
}
