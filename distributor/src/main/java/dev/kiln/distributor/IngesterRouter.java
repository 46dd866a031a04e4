package dev.kiln.distributor;

import dev.kiln.proto.ingester.v1.IngesterServiceGrpc;
import dev.kiln.proto.ingester.v1.PushRequest;
import dev.kiln.proto.ingester.v1.PushResponse;
import io.grpc.Channel;
import java.util.List;

/** Where a series goes: the ingesters that own its token, and how many must acknowledge. */
public interface IngesterRouter {
    /**
     * An ingester, reached over gRPC ({@code channel}) or, in the same process, called directly
     * ({@code local}, then {@code channel} is null).
     */
    record Endpoint(String id, Channel channel, LocalIngester local) {
        public Endpoint(String id, Channel channel) {
            this(id, channel, null);
        }
    }

    record Replicas(List<Endpoint> endpoints, int minSuccess) {}

    /** An ingester in this process: {@code Ingester.push}, blocking until the push is durable. */
    @FunctionalInterface
    interface LocalIngester {
        PushResponse push(String tenant, PushRequest request);
    }

    Replicas replicasFor(int token);

    /** One ingester takes everything (all-in-one mode without a ring). */
    static IngesterRouter single(String id, Channel channel) {
        Replicas r = new Replicas(List.of(new Endpoint(id, channel)), 1);
        return token -> r;
    }

    /**
     * The ingester of this process takes everything (all-in-one mode), called directly: no gRPC
     * call, no hop to another thread and back for every push.
     */
    static IngesterRouter local(String id, LocalIngester ingester) {
        Replicas r = new Replicas(List.of(new Endpoint(id, null, ingester)), 1);
        return token -> r;
    }

    static IngesterServiceGrpc.IngesterServiceFutureStub stub(Endpoint e) {
        return IngesterServiceGrpc.newFutureStub(e.channel());
    }
}
