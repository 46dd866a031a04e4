package dev.kiln.distributor;

import dev.kiln.common.process.InProcessIngester;
import dev.kiln.proto.ingester.v1.IngesterServiceGrpc;
import io.grpc.Channel;
import java.util.List;

/** Where a series goes: the ingesters that own its token, and how many must acknowledge. */
public interface IngesterRouter {
    /**
     * An ingester, reached over gRPC ({@code channel}) or, in the same process, called directly
     * ({@code local}, then {@code channel} is null).
     */
    record Endpoint(String id, Channel channel, InProcessIngester local) {
        public Endpoint(String id, Channel channel) {
            this(id, channel, null);
        }
    }

    record Replicas(List<Endpoint> endpoints, int minSuccess) {}

    Replicas replicasFor(int token);

    /** One ingester takes everything, without a ring. */
    static IngesterRouter single(String id, Channel channel) {
        Replicas r = new Replicas(List.of(new Endpoint(id, channel)), 1);
        return token -> r;
    }

    static IngesterServiceGrpc.IngesterServiceFutureStub stub(Endpoint e) {
        return IngesterServiceGrpc.newFutureStub(e.channel());
    }
}
