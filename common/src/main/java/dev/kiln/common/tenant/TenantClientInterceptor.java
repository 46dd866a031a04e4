package dev.kiln.common.tenant;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

/** Propagates the current tenant to downstream components (distributor → ingester, querier → store). */
public final class TenantClientInterceptor implements ClientInterceptor {
    public static final TenantClientInterceptor INSTANCE = new TenantClientInterceptor();

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        String tenant = Tenants.CONTEXT_KEY.get();
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                if (tenant != null && !headers.containsKey(Tenants.METADATA_KEY)) {
                    headers.put(Tenants.METADATA_KEY, tenant);
                }
                super.start(listener, headers);
            }
        };
    }
}
