package dev.kiln.common.tenant;

import dev.kiln.common.KilnException;
import dev.kiln.common.server.GrpcErrors;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/** Resolves the tenant of every gRPC/Connect call from metadata into the call's {@link Context}. */
public final class TenantServerInterceptor implements ServerInterceptor {
    private final boolean multitenancyEnabled;

    public TenantServerInterceptor(boolean multitenancyEnabled) {
        this.multitenancyEnabled = multitenancyEnabled;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String tenant;
        try {
            tenant = Tenants.resolve(headers.get(Tenants.METADATA_KEY), multitenancyEnabled);
        } catch (KilnException e) {
            call.close(GrpcErrors.toStatus(e), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        return Contexts.interceptCall(Context.current().withValue(Tenants.CONTEXT_KEY, tenant), call, headers, next);
    }
}
