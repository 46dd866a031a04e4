package dev.kiln.distributor;

import dev.kiln.proto.ingester.v1.IngesterServiceGrpc;
import io.grpc.Channel;
import java.util.List;

/** Where a series goes: the ingesters that own its token, and how many must acknowledge. */
public interface IngesterRouter {
    record Endpoint(String id, Channel channel) {}

    record Replicas(List<Endpoint> endpoints, int minSuccess) {}

    Replicas replicasFor(int token);

    /** One ingester takes everything (all-in-one mode without a ring). */
    static IngesterRouter single(String id, Channel channel) {
        Replicas r = new Replicas(List.of(new Endpoint(id, channel)), 1);
        return token -> r;
    }

    static IngesterServiceGrpc.IngesterServiceFutureStub stub(Endpoint e) {
        return IngesterServiceGrpc.newFutureStub(e.channel());
    }
}
