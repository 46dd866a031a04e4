package dev.kiln.distributor.otlp;

import com.google.common.util.concurrent.AbstractIdleService;
import com.google.protobuf.UnsafeByteOperations;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.grpc.GrpcService;
import dev.kiln.common.InvalidInputException;
import dev.kiln.common.model.LabelNames;
import dev.kiln.common.otlp.OtlpConverter;
import dev.kiln.common.otlp.OtlpProfile;
import dev.kiln.common.otlp.OtlpSampler;
import dev.kiln.common.server.KilnServer;
import dev.kiln.common.server.ServerConfig;
import dev.kiln.common.server.Unary;
import dev.kiln.common.tenant.TenantServerInterceptor;
import dev.kiln.common.tenant.Tenants;
import dev.kiln.distributor.Distributor;
import dev.kiln.distributor.SeriesLabels;
import dev.kiln.proto.ingester.v1.ProfileSeries;
import dev.kiln.proto.ingester.v1.RawProfile;
import dev.kiln.proto.types.v1.LabelPair;
import io.grpc.ServerInterceptors;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceResponse;
import io.opentelemetry.proto.collector.profiles.v1development.ProfilesServiceGrpc;
import java.net.InetSocketAddress;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenTelemetry profiles receiver ({@code opentelemetry.proto.collector.profiles.v1development},
 * opentelemetry-proto 1.10.0, the release Pyroscope accepts). {@code ProfilesService/Export} is
 * served over gRPC on the HTTP port (h2c, next to Pyroscope's own APIs) and on a dedicated OTLP
 * port (4317 by default); {@code POST /v1development/profiles} takes OTLP/HTTP (protobuf or JSON,
 * optionally gzip). Each OTLP profile becomes pprof series labelled as Pyroscope labels them
 * ({@link OtlpConverter}), pushed through the distributor like any other profile.
 */
public final class OtlpReceiver extends AbstractIdleService {
    private static final Logger log = LoggerFactory.getLogger(OtlpReceiver.class);
    public static final String HTTP_PATH = "/v1development/profiles";

    private final OtlpConfig config;
    private final Distributor distributor;
    private final OtlpConverter converter;
    private final OtlpSampler sampler;
    private final ServerConfig serverConfig;
    private final ExportService service = new ExportService();
    private Server grpcServer;

    public OtlpReceiver(OtlpConfig config, Distributor distributor, ServerConfig serverConfig) {
        this.config = config;
        this.distributor = distributor;
        this.serverConfig = serverConfig;
        this.converter = new OtlpConverter(config.receiver(), InstantSource.system());
        this.sampler = new OtlpSampler(config.receiver());
    }

    /**
     * Registers the gRPC service and the OTLP/HTTP route on the process's HTTP port; the HTTP
     * route decodes and pushes on {@code executor}.
     */
    public void register(KilnServer server, Executor executor) {
        server.addPublicService(service);
        server.route(HttpMethod.POST, HTTP_PATH, new OtlpHttpHandler(this, serverConfig, executor));
    }

    /** Opens the dedicated OTLP gRPC port, unless it is disabled. */
    @Override
    protected void startUp() {
        InetSocketAddress address = config.grpcAddress();
        if (address == null) {
            return;
        }
        GrpcService grpc = GrpcService.builder()
                .useBlockingTaskExecutor(true)
                .maxRequestMessageLength(serverConfig.grpcMaxRecvMsgSize())
                .addService(ServerInterceptors.intercept(service.bindService(),
                        new TenantServerInterceptor(serverConfig.multitenancyEnabled())))
                .build();
        grpcServer = Server.builder()
                .port(address, SessionProtocol.HTTP)
                .maxRequestLength(serverConfig.grpcMaxRecvMsgSize())
                .requestTimeout(serverConfig.requestTimeout())
                .blockingTaskExecutor(Executors.newScheduledThreadPool(0, Thread.ofVirtual().factory()), true)
                .disableServerHeader()
                .service(grpc)
                .build();
        grpcServer.start().join();
        log.atInfo().addKeyValue("otlp_grpc_port", grpcPort()).log("OTLP gRPC receiver listening");
    }

    @Override
    protected void shutDown() {
        if (grpcServer != null) {
            grpcServer.stop().join();
        }
    }

    /** The bound port of the dedicated OTLP gRPC listener, or -1 when it is disabled or not started. */
    public int grpcPort() {
        return grpcServer == null ? -1 : grpcServer.activeLocalPort();
    }

    /**
     * Samples, converts and pushes one export request. A request without samples is accepted and
     * stores nothing, as the OTLP specification asks.
     *
     * @throws InvalidInputException when the request is malformed; the message names the element
     */
    public ExportProfilesServiceResponse export(String tenant, ExportProfilesServiceRequest request) {
        List<OtlpProfile> profiles;
        try {
            profiles = converter.convert(sampler.sample(request));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("invalid OTLP profiles request: " + e.getMessage(), e);
        }
        List<ProfileSeries> series = new ArrayList<>(profiles.size());
        for (OtlpProfile p : profiles) {
            List<LabelPair> pairs = new ArrayList<>(p.seriesLabels().size());
            for (Map.Entry<String, String> e : p.seriesLabels().entrySet()) {
                pairs.add(LabelPair.newBuilder().setName(e.getKey()).setValue(e.getValue()).build());
            }
            series.add(ProfileSeries.newBuilder()
                    .addAllLabels(SeriesLabels.normalize(pairs, Set.of(LabelNames.OTEL)).toPairs())
                    .addProfiles(RawProfile.newBuilder().setPayload(UnsafeByteOperations.unsafeWrap(p.pprof().toByteArray())))
                    .build());
        }
        if (!series.isEmpty()) {
            distributor.push(tenant, series);
        }
        return ExportProfilesServiceResponse.getDefaultInstance();
    }

    /** {@code ProfilesService/Export} over gRPC, for both ports. */
    private final class ExportService extends ProfilesServiceGrpc.ProfilesServiceImplBase {
        @Override
        public void export(ExportProfilesServiceRequest request, StreamObserver<ExportProfilesServiceResponse> obs) {
            Unary.run(obs, () -> OtlpReceiver.this.export(Tenants.single(Tenants.current()), request));
        }
    }
}
