package dev.kiln.common.testing;

import dev.kiln.common.memory.QueryMemoryBudget;
import dev.kiln.common.query.BlockQueryService;
import dev.kiln.common.tenant.TenantClientInterceptor;
import dev.kiln.common.tenant.TenantServerInterceptor;
import dev.kiln.common.tenant.Tenants;
import dev.kiln.proto.query.v1.QueryServiceGrpc;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link BlockQueryService} on an in-process gRPC server with multitenancy on, as an ingester or
 * a store-gateway serves it, for tests of the query read path. Blocks are scanned in parallel.
 */
public final class InProcessQueryService implements AutoCloseable {
    private final Server server;
    private final ManagedChannel channel;

    public InProcessQueryService(BlockQueryService.BlockProvider blocks, ServerInterceptor... faults) {
        String name = "query-" + UUID.randomUUID();
        var service = ServerInterceptors.intercept(new BlockQueryService(blocks, ForkJoinPool.commonPool(), QueryMemoryBudget.unlimited()).bindService(), faults);
        try {
            server = InProcessServerBuilder.forName(name)
                    .addService(ServerInterceptors.intercept(service, new TenantServerInterceptor(true))).build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        channel = InProcessChannelBuilder.forName(name).build();
    }

    /** A channel to this service that carries the calling gRPC context's tenant, as a querier's does. */
    public Channel channel() {
        return ClientInterceptors.intercept(channel, TenantClientInterceptor.INSTANCE);
    }

    /** A stub that calls as {@code tenant}. */
    public QueryServiceGrpc.QueryServiceBlockingStub stub(String tenant) {
        return asTenant(QueryServiceGrpc.newBlockingStub(channel), tenant);
    }

    /** {@code stub} sending {@code tenant} in the X-Scope-OrgID metadata. */
    public static QueryServiceGrpc.QueryServiceBlockingStub asTenant(QueryServiceGrpc.QueryServiceBlockingStub stub, String tenant) {
        Metadata md = new Metadata();
        md.put(Tenants.METADATA_KEY, tenant);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    }

    /** A channel to a server that has shut down: every call on it fails with {@code unavailable}. Shut it down after use. */
    public static ManagedChannel unreachable() {
        String name = "gone-" + UUID.randomUUID();
        try {
            InProcessServerBuilder.forName(name).build().start().shutdownNow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return InProcessChannelBuilder.forName(name).build();
    }

    @Override
    public void close() {
        channel.shutdownNow();
        server.shutdownNow();
    }

    /** Fails calls of the given methods (e.g. "SelectTree") with {@code unavailable}, as a source dying mid-query would. */
    public static final class FailingMethods implements ServerInterceptor {
        private final Set<String> methods;
        private final AtomicInteger failed = new AtomicInteger();

        public FailingMethods(String... methods) {
            this.methods = Set.copyOf(List.of(methods));
        }

        /** How many calls were failed. */
        public int failed() {
            return failed.get();
        }

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            if (methods.contains(call.getMethodDescriptor().getBareMethodName())) {
                failed.incrementAndGet();
                call.close(Status.UNAVAILABLE.withDescription("injected failure"), new Metadata());
                return new ServerCall.Listener<>() {};
            }
            return next.startCall(call, headers);
        }
    }
}
