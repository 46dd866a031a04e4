package dev.kiln.server;

import com.google.common.util.concurrent.Service;
import com.google.common.util.concurrent.ServiceManager;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.limits.RuntimeOverrides;
import dev.kiln.common.objstore.ObjectStore;
import dev.kiln.common.objstore.ObjectStores;
import dev.kiln.common.objstore.StorageConfig;
import dev.kiln.common.query.BlockQueryService;
import dev.kiln.common.server.KilnServer;
import dev.kiln.common.server.ServerConfig;
import dev.kiln.compactor.Compactor;
import dev.kiln.compactor.CompactorConfig;
import dev.kiln.distributor.Distributor;
import dev.kiln.distributor.DistributorConfig;
import dev.kiln.distributor.IngesterRouter;
import dev.kiln.distributor.ingest.JfrUploads;
import dev.kiln.distributor.otlp.OtlpConfig;
import dev.kiln.distributor.otlp.OtlpReceiver;
import dev.kiln.distributor.scrape.ScrapeConfig;
import dev.kiln.distributor.scrape.Scraper;
import dev.kiln.ingester.Ingester;
import dev.kiln.ingester.IngesterConfig;
import dev.kiln.querier.Querier;
import dev.kiln.querier.QuerySources;
import dev.kiln.common.query.QuerySplit;
import dev.kiln.queryfrontend.QueryFrontend;
import dev.kiln.server.selfprofile.SelfProfiler;
import dev.kiln.storegateway.StoreGateway;
import dev.kiln.storegateway.StoreGatewayConfig;
import java.time.InstantSource;
import dev.kiln.queryfrontend.QueryFrontendConfig;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Kiln process: the components named by {@code -target}, their shared server and their
 * lifecycle. Components talk to each other through their gRPC services even when they share the
 * process (in-process transport), so the seams are the same as in microservices mode.
 */
public final class Kiln implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Kiln.class);

    /** The components a process can run; {@code all} is every one of them. */
    public enum Target {
        ALL, DISTRIBUTOR, INGESTER, QUERIER, QUERY_FRONTEND;

        public String configValue() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        static Target of(String value) {
            for (Target t : values()) {
                if (t.configValue().equals(value.strip())) {
                    return t;
                }
            }
            throw new ConfigException("unknown -target '" + value + "': supported: all, distributor, ingester, querier, query-frontend");
        }
    }

    static final ConfigKey TARGET = ConfigKey.of("target", ConfigType.STRING, "all",
            "Comma-separated components this process runs: all (the single-process mode), distributor, ingester, querier, query-frontend.");

    /** Every configuration key of the process, for the loader and the generated reference. */
    public static List<ConfigKey> keys() {
        List<ConfigKey> keys = new ArrayList<>();
        keys.add(TARGET);
        keys.addAll(ServerConfig.KEYS);
        keys.addAll(StorageConfig.KEYS);
        keys.addAll(DistributorConfig.KEYS);
        keys.addAll(OtlpConfig.KEYS);
        keys.addAll(ScrapeConfig.KEYS);
        keys.addAll(IngesterConfig.KEYS);
        keys.addAll(QueryFrontendConfig.KEYS);
        keys.addAll(StoreGatewayConfig.KEYS);
        keys.addAll(CompactorConfig.KEYS);
        keys.addAll(Limits.keys());
        keys.addAll(RuntimeOverrides.KEYS);
        keys.addAll(SelfProfiler.KEYS);
        return keys;
    }

    private final KilnServer server;
    private final Ingester ingester;
    private final ServiceManager services;
    private final OtlpReceiver otlp;
    private final Scraper scraper;
    private final ExecutorService ingestExecutor;
    private final ExecutorService queryExecutor;
    private final ObjectStore store;
    private final JvmGcMetrics jvmGc;
    private final ExecutorService frontendExecutor;

    public Kiln(Config config) {
        Set<Target> targets = targets(config.getString(TARGET.path()));
        if (!targets.contains(Target.ALL)) {
            // Separate components need the ring to find each other; until then only all-in-one runs.
            throw new ConfigException("-target=" + config.getString(TARGET.path())
                    + " needs the ring (microservices mode), which this build does not provide yet; use -target=all");
        }
        store = ObjectStores.create(StorageConfig.from(config));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        jvmGc = new JvmGcMetrics();
        jvmGc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        server = new KilnServer(ServerConfig.from(config), registry);
        Limits defaults = Limits.from(config);
        RuntimeOverrides limits = RuntimeOverrides.from(config, defaults);
        int cpus = Runtime.getRuntime().availableProcessors();
        ingestExecutor = Executors.newFixedThreadPool(Math.max(2, cpus), named("kiln-ingest"));
        queryExecutor = Executors.newFixedThreadPool(Math.max(2, cpus), named("kiln-query"));

        ingester = new Ingester(IngesterConfig.from(config), limits, store, registry, queryExecutor);
        ingester.register(server);
        Distributor distributor = new Distributor(DistributorConfig.from(config),
                IngesterRouter.local("local", ingester::push), limits, registry);
        JfrUploads jfr = new JfrUploads(defaults.maxProfileSizeBytes());
        distributor.register(server, ingestExecutor, jfr);
        otlp = new OtlpReceiver(OtlpConfig.from(config), distributor, server.config());
        otlp.register(server, ingestExecutor);
        scraper = new Scraper(ScrapeConfig.targets(config), distributor);
        StoreGateway storeGateway = new StoreGateway(StoreGatewayConfig.from(config), store, registry, queryExecutor);
        storeGateway.register(server);
        Querier querier = new Querier(QuerySources.split(
                List.of(new QuerySources.Source("ingester",
                        BlockQueryService.channelTo(server.inProcessChannel(), BlockQueryService.INGESTER_SERVICE), null)),
                List.of(new QuerySources.Source("store-gateway",
                        BlockQueryService.channelTo(server.inProcessChannel(), BlockQueryService.STORE_GATEWAY_SERVICE), null)),
                config.getDuration(QuerySplit.QUERY_STORE_AFTER.path()), InstantSource.system()));
        querier.register(server);
        // The frontend's handlers block until the queriers' block scans (on queryExecutor) finish; on a
        // shared fixed pool two concurrent renders held every thread and waited forever.
        frontendExecutor = Executors.newVirtualThreadPerTaskExecutor();
        QueryFrontend frontend = new QueryFrontend(QueryFrontendConfig.from(config), server.inProcessChannel(), limits, registry,
                frontendExecutor);
        frontend.register(server);

        server.route(HttpMethod.GET, "/api/v1/status/config", (ctx, req) -> HttpResponse.of(HttpStatus.OK,
                MediaType.parse("text/yaml; charset=utf-8"), config.toYaml("diff".equals(ctx.queryParam("mode")))));

        Compactor compactor = new Compactor(CompactorConfig.from(config), store, limits, registry);
        List<Service> all = new ArrayList<>(List.of(limits, ingester, storeGateway, compactor, distributor, querier, frontend));
        SelfProfiler.Settings self = SelfProfiler.Settings.from(config);
        if (self.enabled()) {
            all.add(new SelfProfiler(self, distributor, jfr));
        }
        services = new ServiceManager(all);
        server.addReadinessCheck(() -> services.isHealthy() ? null : "components starting: " + services.servicesByState());
    }

    private static Set<Target> targets(String value) {
        Set<Target> out = new LinkedHashSet<>();
        for (String part : value.split(",")) {
            if (!part.isBlank()) {
                out.add(Target.of(part));
            }
        }
        if (out.isEmpty()) {
            throw new ConfigException("-target must name at least one component");
        }
        return out;
    }

    private static java.util.concurrent.ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Starts the components (replaying state first), then opens the ports; the OTLP port and the
     * scraper come last because both push through the in-process channel the server opens.
     */
    public void start() {
        services.startAsync().awaitHealthy();
        server.start();
        otlp.startAsync().awaitRunning();
        scraper.startAsync().awaitRunning();
        log.atInfo().addKeyValue("http_port", server.httpPort()).log("kiln started");
    }

    public KilnServer server() {
        return server;
    }

    /** The in-process ingester, for tools that need to flush its head on demand (the benchmark). */
    public Ingester ingester() {
        return ingester;
    }

    /** The dedicated OTLP gRPC port, or -1 when it is disabled. */
    public int otlpGrpcPort() {
        return otlp.grpcPort();
    }

    @Override
    public void close() {
        scraper.stopAsync().awaitTerminated();
        otlp.stopAsync().awaitTerminated();
        server.close();
        try {
            services.stopAsync().awaitStopped(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            log.atWarn().addKeyValue("services", services.servicesByState()).log("components did not stop within 30s");
        }
        ingestExecutor.shutdownNow();
        queryExecutor.shutdownNow();
        store.close();
        jvmGc.close();
        frontendExecutor.shutdownNow();
    }
}
