package dev.kiln.common.server;

import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;

/**
 * A unary method of a public service that Connect requests call directly, with the request
 * already parsed, instead of through the in-process gRPC channel. The gRPC service stays the
 * implementation for gRPC clients and should call the same handler, so both protocols run one
 * code path. Meant for hot methods (push): the channel hop costs a call object graph, a context
 * switch and its own JIT-compiled code per request.
 *
 * @param method  the gRPC method whose Connect path ({@code /pkg.Service/Method}) this replaces
 * @param handler the method body; errors are mapped by {@link GrpcErrors} as for the gRPC call
 */
public record DirectUnary<Q extends Message, R extends Message>(MethodDescriptor<Q, R> method, Handler<Q, R> handler) {
    /** The body of a unary method for a resolved tenant (see {@link dev.kiln.common.tenant.Tenants#resolve}). */
    @FunctionalInterface
    public interface Handler<Q, R> {
        R call(String tenant, Q request) throws Exception;
    }
}
