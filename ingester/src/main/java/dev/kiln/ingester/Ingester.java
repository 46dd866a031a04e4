package dev.kiln.ingester;

import com.google.common.util.concurrent.AbstractIdleService;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.limits.TenantLimits;
import dev.kiln.common.model.Labels;
import dev.kiln.common.query.BlockQueryService;
import dev.kiln.common.query.QueryableBlock;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.server.KilnServer;
import dev.kiln.common.server.Unary;
import dev.kiln.common.tenant.Tenants;
import dev.kiln.ingester.head.DecodedProfile;
import dev.kiln.ingester.head.Head;
import dev.kiln.ingester.head.HeadBlock;
import dev.kiln.proto.ingester.v1.IngesterServiceGrpc;
import dev.kiln.proto.ingester.v1.ProfileSeries;
import dev.kiln.proto.ingester.v1.PushRequest;
import dev.kiln.proto.ingester.v1.PushResponse;
import dev.kiln.proto.ingester.v1.RawProfile;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The ingester: receives pushes from distributors, keeps recent profiles in its head and answers
 * queries over them.
 */
public final class Ingester extends AbstractIdleService {
    private final IngesterConfig config;
    private final TenantLimits limits;
    private final Head head;
    private final BlockQueryService queries;
    private final MeterRegistry registry;

    public Ingester(IngesterConfig config, TenantLimits limits, MeterRegistry registry, Executor queryExecutor) {
        this.config = config;
        this.limits = limits;
        this.registry = registry;
        this.head = new Head(config.maxBlockDuration().toMillis());
        this.queries = new BlockQueryService(this::blocks, queryExecutor);
    }

    /** Registers the ingester's gRPC services (push and queries) on the process's server. */
    public void register(KilnServer server) {
        server.addInternalService(new PushService());
        server.addInternalService(queries.bindAs(BlockQueryService.INGESTER_SERVICE));
    }

    public Head head() {
        return head;
    }

    private List<QueryableBlock> blocks(String tenant, TimeRange range) {
        return new ArrayList<>(head.blocks(tenant));
    }

    @Override
    protected void startUp() {}

    @Override
    protected void shutDown() {}

    /** Decodes and validates every profile of the request, then stores them all. */
    public PushResponse push(String tenant, PushRequest request) {
        Limits l = limits.forTenant(tenant);
        List<DecodedProfile> decoded = new ArrayList<>();
        long bytes = 0;
        for (ProfileSeries series : request.getSeriesList()) {
            Labels labels = Labels.fromPairs(series.getLabelsList());
            for (RawProfile raw : series.getProfilesList()) {
                DecodedProfile d = DecodedProfile.decode(labels, raw.getPayload().toByteArray(), raw.getId(), raw.getDefaultTimeNanos(),
                        raw.getSampleTypeDisplayNamesMap(), l);
                decoded.add(d);
                bytes += d.decompressedBytes();
            }
        }
        long samples = 0;
        for (DecodedProfile d : decoded) {
            HeadBlock block = head.blockFor(tenant, d.timeNanos());
            block.append(d);
            samples += d.sampleCount();
        }
        Counter.builder("pyroscope.ingester.profile.samples.received").description("Samples received by the ingester.")
                .tag("tenant", tenant).register(registry).increment(samples);
        return PushResponse.newBuilder().setProfiles(decoded.size()).setSamples(samples).setDecompressedBytes(bytes).build();
    }

    private final class PushService extends IngesterServiceGrpc.IngesterServiceImplBase {
        @Override
        public void push(PushRequest request, StreamObserver<PushResponse> obs) {
            Unary.run(obs, () -> Ingester.this.push(Tenants.single(Tenants.current()), request));
        }
    }
}
