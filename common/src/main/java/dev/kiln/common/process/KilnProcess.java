package dev.kiln.common.process;

import com.google.common.util.concurrent.ServiceManager;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import dev.kiln.common.block.BlockCache;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.memory.QueryMemoryBudget;
import dev.kiln.common.limits.RuntimeOverrides;
import dev.kiln.common.objstore.StorageConfig;
import dev.kiln.common.query.QuerySplit;
import dev.kiln.common.ring.RingKeys;
import dev.kiln.common.server.KilnServer;
import dev.kiln.common.server.ServerConfig;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Kiln process: the components named by {@code -target}, their shared server and their
 * lifecycle. Components talk to each other through their gRPC services and rings even when they
 * share the process (in-process channel, in-memory ring), so the seams are the same as in
 * microservices mode.
 *
 * <p>Start order: the server listens first (not ready), so ring members can register the port
 * they really listen on; then every service starts (an ingester replays its WAL before it joins
 * its ring); then the after-start tasks run and the process reports ready.
 */
public final class KilnProcess implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KilnProcess.class);

    public static final ConfigKey TARGET = ConfigKey.of("target", ConfigType.STRING, "all",
            "Comma-separated components this process runs: all (the single binary), ingester, distributor, store-gateway, querier, query-frontend, compactor.");

    private final ProcessContext context;
    private final ServiceManager services;
    private final JvmGcMetrics jvmGc;
    private final Set<Component> components;

    private KilnProcess(Config config, List<KilnModule> modules) {
        components = Component.parseTargets(config.getString(TARGET.path()));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        jvmGc = new JvmGcMetrics();
        jvmGc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        KilnServer server = new KilnServer(ServerConfig.from(config), registry);
        context = new ProcessContext(config, components, registry, server);
        for (Component c : components) {
            java.util.Optional<KilnModule> module = modules.stream().filter(m -> m.component() == c).findFirst();
            if (module.isPresent()) {
                module.get().init(context);
            } else if (c != Component.LAUNCHER) {
                throw new dev.kiln.common.config.ConfigException("-target " + c.target()
                        + " is not available in this jar; use the kiln-" + c.target() + " jar or the launcher");
            }
        }
        server.route(HttpMethod.GET, "/api/v1/status/config", (ctx, req) -> HttpResponse.of(HttpStatus.OK,
                MediaType.parse("text/yaml; charset=utf-8"), config.toYaml("diff".equals(ctx.queryParam("mode")))));
        services = new ServiceManager(context.services());
        server.addReadinessCheck(() -> services.isHealthy() ? null : "components starting: " + services.servicesByState());
    }

    /** Builds the process for {@code config}'s targets from the modules on the class path. */
    public static KilnProcess create(Config config) {
        return new KilnProcess(config, modules());
    }

    /** The modules on the class path, in build order. */
    public static List<KilnModule> modules() {
        List<KilnModule> out = new ArrayList<>();
        ServiceLoader.load(KilnModule.class).forEach(out::add);
        out.sort(Comparator.comparing(KilnModule::component));
        return out;
    }

    /** Every key a process built from {@code modules} accepts. */
    public static List<ConfigKey> keys(List<KilnModule> modules) {
        List<ConfigKey> keys = new ArrayList<>();
        keys.add(TARGET);
        keys.addAll(ServerConfig.KEYS);
        keys.addAll(StorageConfig.KEYS);
        keys.addAll(RingKeys.INGESTER.keys());
        keys.addAll(RingKeys.STORE_GATEWAY.keys());
        keys.addAll(RingKeys.COMPACTOR.keys());
        keys.add(QuerySplit.QUERY_STORE_AFTER);
        keys.addAll(Limits.keys());
        keys.addAll(RuntimeOverrides.KEYS);
        keys.addAll(QueryMemoryBudget.KEYS);
        keys.addAll(BlockCache.KEYS);
        for (KilnModule m : modules) {
            keys.addAll(m.keys());
        }
        return keys;
    }

    /** YAML sections of the components that {@code modules} do not include. */
    public static List<String> foreignSections(List<KilnModule> modules) {
        List<String> out = new ArrayList<>();
        for (Component c : Component.values()) {
            if (modules.stream().noneMatch(m -> m.component() == c)) {
                out.addAll(c.configSections());
            }
        }
        return out;
    }

    public void start() {
        context.server().start();
        services.startAsync();
        try {
            services.awaitHealthy();
        } catch (IllegalStateException e) {
            throw new IllegalStateException("components failed to start: " + services.servicesByState(), e);
        }
        context.afterStartTasks().forEach(Runnable::run);
        log.atInfo().addKeyValue("targets", components.stream().map(Component::target).toList())
                .addKeyValue("http_port", context.server().httpPort()).log("kiln started");
    }

    public ProcessContext context() {
        return context;
    }

    @Override
    public void close() {
        try {
            services.stopAsync().awaitStopped(10, TimeUnit.MINUTES);
        } catch (TimeoutException e) {
            log.atWarn().addKeyValue("services", services.servicesByState()).log("components did not stop within 10m");
        }
        context.server().close();
        context.close();
        jvmGc.close();
    }
}
