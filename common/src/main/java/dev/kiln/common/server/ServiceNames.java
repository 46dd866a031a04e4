package dev.kiln.common.server;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;

/**
 * Serves one gRPC service implementation under another service name, and calls it by that name.
 * Ingesters, store-gateways and queriers all speak {@code kiln.query.v1.QueryService}; in one
 * process (or one internal port) they must still be told apart, so the block-serving roles are
 * published under their own names while sharing the generated messages and stubs.
 */
public final class ServiceNames {
    private ServiceNames() {}

    /** {@code definition} with every method moved to service {@code serviceName}. */
    public static ServerServiceDefinition rename(ServerServiceDefinition definition, String serviceName) {
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(serviceName);
        for (ServerMethodDefinition<?, ?> m : definition.getMethods()) {
            b.addMethod(renamed(m, serviceName));
        }
        return b.build();
    }

    private static <Q, R> ServerMethodDefinition<Q, R> renamed(ServerMethodDefinition<Q, R> m, String serviceName) {
        MethodDescriptor<Q, R> d = m.getMethodDescriptor();
        return ServerMethodDefinition.create(moved(d, serviceName), m.getServerCallHandler());
    }

    private static <Q, R> MethodDescriptor<Q, R> moved(MethodDescriptor<Q, R> d, String serviceName) {
        return d.toBuilder()
                .setFullMethodName(MethodDescriptor.generateFullMethodName(serviceName, d.getBareMethodName()))
                .build();
    }

    /**
     * A channel on which calls to {@code fromService} (made with its generated stubs) go to
     * {@code toService}.
     */
    public static Channel redirect(Channel channel, String fromService, String toService) {
        return ClientInterceptors.intercept(channel, new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                if (fromService.equals(method.getServiceName())) {
                    return next.newCall(moved(method, toService), options);
                }
                return next.newCall(method, options);
            }
        });
    }
}
