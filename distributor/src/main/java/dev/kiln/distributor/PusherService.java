package dev.kiln.distributor;

import dev.kiln.common.server.DirectUnary;
import dev.kiln.common.server.Unary;
import dev.kiln.common.tenant.Tenants;
import dev.kiln.proto.ingester.v1.ProfileSeries;
import dev.kiln.proto.ingester.v1.RawProfile;
import dev.kiln.proto.push.v1.PushRequest;
import dev.kiln.proto.push.v1.PushResponse;
import dev.kiln.proto.push.v1.PusherServiceGrpc;
import dev.kiln.proto.push.v1.RawProfileSeries;
import dev.kiln.proto.push.v1.RawSample;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code push.v1.PusherService/Push}: Pyroscope's native push API (Grafana Alloy, pyroscope-rs,
 * the Go/Python/Ruby SDKs), over Connect and gRPC. Client annotations are dropped, as upstream.
 */
public final class PusherService extends PusherServiceGrpc.PusherServiceImplBase {
    private final Distributor distributor;

    public PusherService(Distributor distributor) {
        this.distributor = distributor;
    }

    /** Connect calls {@link #push(String, PushRequest)} directly; gRPC calls go through {@link #push(PushRequest, StreamObserver)}. */
    DirectUnary<PushRequest, PushResponse> direct() {
        return new DirectUnary<>(PusherServiceGrpc.getPushMethod(), this::push);
    }

    @Override
    public void push(PushRequest request, StreamObserver<PushResponse> obs) {
        Unary.run(obs, () -> push(Tenants.current(), request));
    }

    /** The push of a resolved tenant expression (a multi-tenant one is refused). */
    PushResponse push(String tenant, PushRequest request) {
        List<ProfileSeries> series = new ArrayList<>(request.getSeriesCount());
        for (RawProfileSeries s : request.getSeriesList()) {
            ProfileSeries.Builder b = ProfileSeries.newBuilder().addAllLabels(SeriesLabels.normalize(s.getLabelsList()).toPairs());
            for (RawSample sample : s.getSamplesList()) {
                b.addProfiles(RawProfile.newBuilder().setPayload(sample.getRawProfile()).setId(sample.getID()));
            }
            if (b.getProfilesCount() > 0) {
                series.add(b.build());
            }
        }
        distributor.push(Tenants.single(tenant), series);
        return PushResponse.getDefaultInstance();
    }
}
