package dev.kiln.common.server;

import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.encoding.DecodingService;
import com.linecorp.armeria.server.encoding.EncodingService;
import com.linecorp.armeria.server.grpc.GrpcService;
import com.linecorp.armeria.server.grpc.GrpcServiceBuilder;
import dev.kiln.common.tenant.TenantClientInterceptor;
import dev.kiln.common.tenant.TenantServerInterceptor;
import io.grpc.BindableService;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners of one Kiln process. Components register public gRPC services (served on the HTTP
 * port as gRPC and Connect), internal gRPC services (served on the gRPC port) and plain HTTP
 * routes. Every service is also reachable through an in-process channel, which is how components
 * in the same process call each other without a network hop but through the same gRPC seams.
 */
public final class KilnServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KilnServer.class);

    private final ServerConfig config;
    private final PrometheusMeterRegistry registry;
    private final List<ServerServiceDefinition> publicServices = new ArrayList<>();
    private final List<DirectUnary<?, ?>> directMethods = new ArrayList<>();
    private final List<ServerServiceDefinition> internalServices = new ArrayList<>();
    private final List<Route> routes = new ArrayList<>();
    private final List<Supplier<String>> readinessChecks = new CopyOnWriteArrayList<>();
    private final String inProcessName = "kiln-" + UUID.randomUUID();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private io.grpc.Server inProcess;
    // Built up front so components can be wired before start(); calls fail until the server runs.
    private final ManagedChannel inProcessChannel = InProcessChannelBuilder.forName(inProcessName).directExecutor()
            .maxInboundMessageSize(Integer.MAX_VALUE).build();
    private Server http;
    private Server grpc;

    private record Route(HttpMethod method, String path, boolean prefix, HttpService service, boolean compress) {}

    public KilnServer(ServerConfig config, PrometheusMeterRegistry registry) {
        this.config = config;
        this.registry = registry;
    }

    public ServerConfig config() {
        return config;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** A Pyroscope-compatible API on the HTTP port (gRPC and Connect on the same path). */
    public synchronized void addPublicService(BindableService service) {
        checkNotStarted();
        publicServices.add(service.bindService());
    }

    /**
     * A Pyroscope-compatible API on the HTTP port whose {@code direct} methods Connect requests call
     * without the in-process gRPC hop (gRPC requests still go through {@code service}).
     */
    public synchronized void addPublicService(BindableService service, List<DirectUnary<?, ?>> direct) {
        addPublicService(service);
        directMethods.addAll(direct);
    }

    /** An internal API on the gRPC port. */
    public void addInternalService(BindableService service) {
        addInternalService(service.bindService());
    }

    /** An internal service under an explicit definition, e.g. one renamed by {@link ServiceNames}. */
    public synchronized void addInternalService(ServerServiceDefinition service) {
        checkNotStarted();
        internalServices.add(service);
    }

    public synchronized void route(HttpMethod method, String path, HttpService service) {
        checkNotStarted();
        routes.add(new Route(method, path, false, service, true));
    }

    public synchronized void routePrefix(HttpMethod method, String prefix, HttpService service) {
        checkNotStarted();
        routes.add(new Route(method, prefix, true, service, true));
    }

    /** Adds a readiness condition: it returns null when ready, else why not (shown by /ready). */
    public void addReadinessCheck(Supplier<String> check) {
        readinessChecks.add(check);
    }

    /**
     * A channel to every service of this process, carrying the current tenant. Usable for wiring
     * before {@link #start()}; calls succeed once the server is started.
     */
    public Channel inProcessChannel() {
        return ClientInterceptors.intercept(inProcessChannel, TenantClientInterceptor.INSTANCE);
    }

    public String inProcessName() {
        return inProcessName;
    }

    public synchronized void start() {
        checkNotStarted();
        TenantServerInterceptor tenants = new TenantServerInterceptor(config.multitenancyEnabled());
        RequestMetrics metrics = new RequestMetrics(registry);

        InProcessServerBuilder ipb = InProcessServerBuilder.forName(inProcessName).executor(executor);
        for (ServerServiceDefinition d : publicServices) {
            ipb.addService(ServerInterceptors.intercept(d, tenants));
        }
        for (ServerServiceDefinition d : internalServices) {
            ipb.addService(ServerInterceptors.intercept(d, tenants));
        }
        try {
            inProcess = ipb.build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ServerBuilder sb = Server.builder()
                .port(address(config.httpListenAddress(), config.httpListenPort()), com.linecorp.armeria.common.SessionProtocol.HTTP)
                .maxRequestLength(config.maxRequestBytes())
                .requestTimeout(config.requestTimeout())
                .blockingTaskExecutor(Executors.newScheduledThreadPool(0, Thread.ofVirtual().factory()), true)
                .meterRegistry(registry)
                .disableServerHeader()
                .disableDateHeader();
        if (!publicServices.isEmpty()) {
            GrpcServiceBuilder gb = GrpcService.builder()
                    .useBlockingTaskExecutor(true)
                    .maxRequestMessageLength((int) Math.min(Integer.MAX_VALUE, config.maxRequestBytes()))
                    .maxResponseMessageLength(Integer.MAX_VALUE);
            for (ServerServiceDefinition d : publicServices) {
                gb.addService(ServerInterceptors.intercept(d, tenants));
            }
            sb.service(gb.build(), metrics.decorator());
            ConnectService connect = new ConnectService(inProcessChannel, publicServices, directMethods, config.multitenancyEnabled(), executor);
            for (String path : connect.paths()) {
                sb.route().path(path).methods(HttpMethod.POST)
                        .consumes(ConnectService.APPLICATION_PROTO, MediaType.PROTOBUF, MediaType.X_PROTOBUF, MediaType.JSON, MediaType.JSON_UTF_8)
                        .decorator(EncodingService.newDecorator())
                        .decorator(DecodingService.newDecorator())
                        .decorator(metrics.decorator())
                        .build(connect);
            }
        }
        for (Route r : routes) {
            var rb = sb.route().methods(r.method);
            rb = r.prefix ? rb.pathPrefix(r.path) : rb.path(r.path);
            if (r.compress) {
                rb = rb.decorator(EncodingService.newDecorator());
            }
            rb.decorator(metrics.decorator()).build(r.service);
        }
        sb.route().get("/ready").build((ctx, req) -> {
            for (Supplier<String> c : readinessChecks) {
                String reason = c.get();
                if (reason != null) {
                    return HttpResponse.of(HttpStatus.SERVICE_UNAVAILABLE, MediaType.PLAIN_TEXT_UTF_8, reason + "\n");
                }
            }
            return HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8, "ready\n");
        });
        sb.route().get("/metrics").decorator(EncodingService.newDecorator()).build((ctx, req) -> {
            String accept = req.headers().get("accept");
            return HttpResponse.of(HttpStatus.OK, MediaType.parse("text/plain; version=0.0.4; charset=utf-8"), registry.scrape(accept));
        });
        http = sb.build();
        http.start().join();

        if (!internalServices.isEmpty()) {
            GrpcServiceBuilder gb = GrpcService.builder()
                    .useBlockingTaskExecutor(true)
                    .maxRequestMessageLength(config.grpcMaxRecvMsgSize())
                    .maxResponseMessageLength(Integer.MAX_VALUE);
            for (ServerServiceDefinition d : internalServices) {
                gb.addService(ServerInterceptors.intercept(d, tenants));
            }
            grpc = Server.builder()
                    .port(address(config.grpcListenAddress(), config.grpcListenPort()), com.linecorp.armeria.common.SessionProtocol.HTTP)
                    .maxRequestLength(config.grpcMaxRecvMsgSize())
                    .requestTimeout(config.requestTimeout())
                    .blockingTaskExecutor(Executors.newScheduledThreadPool(0, Thread.ofVirtual().factory()), true)
                    .disableServerHeader()
                    .service(gb.build())
                    .build();
            grpc.start().join();
        }
        log.atInfo().addKeyValue("http_port", httpPort()).addKeyValue("grpc_port", grpcPort()).log("server listening");
    }

    private static InetSocketAddress address(String host, int port) {
        return host == null || host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    public int httpPort() {
        return http.activeLocalPort();
    }

    /** The bound internal gRPC port, or -1 when no internal services are registered. */
    public int grpcPort() {
        return grpc == null ? -1 : grpc.activeLocalPort();
    }

    private void checkNotStarted() {
        if (http != null) {
            throw new IllegalStateException("server already started");
        }
    }

    @Override
    public synchronized void close() {
        if (http != null) {
            http.stop().join();
        }
        if (grpc != null) {
            grpc.stop().join();
        }
        inProcessChannel.shutdownNow();
        if (inProcess != null) {
            inProcess.shutdownNow();
            try {
                inProcess.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        executor.shutdownNow();
    }
}
