package dev.kiln.common.process;

import com.google.common.util.concurrent.Service;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import dev.kiln.common.config.Config;
import dev.kiln.common.block.BlockCache;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.memory.QueryMemoryBudget;
import dev.kiln.common.limits.RuntimeOverrides;
import dev.kiln.common.objstore.ObjectStore;
import dev.kiln.common.objstore.ObjectStores;
import dev.kiln.common.objstore.StorageConfig;
import dev.kiln.common.ring.Ring;
import dev.kiln.common.ring.RingConfig;
import dev.kiln.common.ring.RingKeys;
import dev.kiln.common.ring.RingStatusPage;
import dev.kiln.common.ring.kv.KvStore;
import dev.kiln.common.ring.kv.KvStoreConfig;
import dev.kiln.common.server.KilnServer;
import dev.kiln.common.server.PeerChannels;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the components of one process share and how they plug into it: configuration, metrics, the
 * server, tenant limits, object storage, ring clients and peer channels, worker pools, and the
 * services whose lifecycle the process runs. Shared things are created on first use, so a process
 * running only a query-frontend never opens object storage or a ring.
 */
public final class ProcessContext implements AutoCloseable {
    private final Config config;
    private final Set<Component> components;
    private final PrometheusMeterRegistry registry;
    private final KilnServer server;
    private final Limits defaults;
    private final RuntimeOverrides limits;
    private final PeerChannels peers;
    private final ExecutorService ingestExecutor;
    private final ExecutorService queryExecutor;
    private final QueryMemoryBudget queryMemory;
    private final List<Service> services = new ArrayList<>();
    private final List<Runnable> afterStart = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final Map<KvStoreConfig, KvStore> kvStores = new HashMap<>();
    private final Map<RingKeys, Ring> rings = new HashMap<>();
    private final Map<Class<?>, Object> published = new HashMap<>();
    private ObjectStore objectStore;

    ProcessContext(Config config, Set<Component> components, PrometheusMeterRegistry registry, KilnServer server) {
        this.config = config;
        this.components = components;
        this.registry = registry;
        this.server = server;
        this.defaults = Limits.from(config);
        this.limits = RuntimeOverrides.from(config, defaults);
        services.add(limits);
        this.peers = new PeerChannels(server.inProcessChannel(), Integer.MAX_VALUE);
        int workers = Math.max(2, Runtime.getRuntime().availableProcessors());
        this.ingestExecutor = Executors.newFixedThreadPool(workers, daemonThreads("kiln-ingest"));
        this.queryExecutor = Executors.newFixedThreadPool(workers, daemonThreads("kiln-query"));
        this.queryMemory = QueryMemoryBudget.from(config, registry);
        BlockCache.configure(config, registry);
    }

    public Config config() {
        return config;
    }

    /** Whether this process runs {@code component} (e.g. to call it in-process). */
    public boolean runs(Component component) {
        return components.contains(component);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public KilnServer server() {
        return server;
    }

    /** The configured default limits (before per-tenant overrides). */
    public Limits defaultLimits() {
        return defaults;
    }

    /** Per-tenant limits, reloaded from the runtime overrides file. */
    public RuntimeOverrides limits() {
        return limits;
    }

    public PeerChannels peers() {
        return peers;
    }

    /** Bounded pool for decoding and appending pushed profiles. */
    public ExecutorService ingestExecutor() {
        return ingestExecutor;
    }

    /** Bounded pool for block scans. */
    public ExecutorService queryExecutor() {
        return queryExecutor;
    }

    /** What the merged results of all queries of this process may hold at once ({@code query.memory_budget_bytes}). */
    public QueryMemoryBudget queryMemory() {
        return queryMemory;
    }

    /** The object store of {@code storage.*}, opened on first use and closed with the process. */
    public synchronized ObjectStore objectStore() {
        if (objectStore == null) {
            objectStore = ObjectStores.create(StorageConfig.from(config));
        }
        return objectStore;
    }

    /**
     * The process's client of {@code ring}: started with the process's services, and its status page
     * mounted ({@code /ring}, {@code /store-gateway/ring}, {@code /compactor/ring}). Components
     * of one process share it, and rings configured with the same in-memory store share that store,
     * which is how the single binary's components find each other.
     */
    public synchronized Ring ring(RingKeys ring) {
        Ring existing = rings.get(ring);
        if (existing != null) {
            return existing;
        }
        RingConfig ringConfig = ring.ringConfig(config);
        Ring client = new Ring(ringConfig, kvStore(ringConfig.kvstore()), ring.kvKey());
        rings.put(ring, client);
        services.add(client);
        mountStatusPage(client, ring == RingKeys.INGESTER ? "/ring" : "/" + ring.kvKey() + "/ring");
        return client;
    }

    /** The KV store a ring of this process uses (one per distinct store configuration). */
    public synchronized KvStore kvStore(KvStoreConfig kv) {
        return kvStores.computeIfAbsent(kv, k -> {
            KvStore store = k.open();
            closeables.add(store);
            return store;
        });
    }

    private void mountStatusPage(Ring ring, String path) {
        RingStatusPage page = new RingStatusPage(ring);
        server.route(HttpMethod.GET, path, (ctx, req) -> {
            String accept = req.headers().get("accept", "");
            boolean json = accept.contains("application/json") || "json".equals(ctx.queryParam("format"));
            return json ? HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, page.json())
                    : HttpResponse.of(HttpStatus.OK, MediaType.HTML_UTF_8, page.html());
        });
        server.route(HttpMethod.POST, path, (ctx, req) -> HttpResponse.of(req.aggregate().thenApply((AggregatedHttpRequest r) -> {
            try {
                return HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8, page.handleForm(r.contentUtf8()) + "\n");
            } catch (IllegalArgumentException e) {
                return HttpResponse.of(HttpStatus.BAD_REQUEST, MediaType.PLAIN_TEXT_UTF_8, e.getMessage() + "\n");
            }
        })));
    }

    /** Adds a service to the process's lifecycle: started after the server listens, stopped on close. */
    public synchronized void addService(Service service) {
        services.add(service);
    }

    /** Runs once every service is running (e.g. extra listeners that push through the process). */
    public synchronized void afterStart(Runnable task) {
        afterStart.add(task);
    }

    /** Closed when the process closes, after its services stopped, in reverse order of registration. */
    public synchronized void closeOnExit(AutoCloseable closeable) {
        closeables.add(closeable);
    }

    /** Makes a component object available to the other components of the process. */
    public synchronized <T> void publish(Class<T> type, T value) {
        published.put(type, value);
    }

    public synchronized <T> Optional<T> lookup(Class<T> type) {
        return Optional.ofNullable(type.cast(published.get(type)));
    }

    synchronized List<Service> services() {
        return List.copyOf(services);
    }

    synchronized List<Runnable> afterStartTasks() {
        return List.copyOf(afterStart);
    }

    @Override
    public synchronized void close() {
        ingestExecutor.shutdownNow();
        queryExecutor.shutdownNow();
        peers.close();
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                org.slf4j.LoggerFactory.getLogger(ProcessContext.class).atWarn()
                        .addKeyValue("resource", closeables.get(i).getClass().getSimpleName())
                        .addKeyValue("err", e.getMessage()).log("close failed");
            }
        }
        if (objectStore != null) {
            objectStore.close();
        }
    }

    static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
