package dev.kiln.common.server;

import dev.kiln.common.tenant.TenantClientInterceptor;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * gRPC channels to other Kiln instances by {@code host:port}, as found in a ring or in config.
 * One channel per address is kept and reused (HTTP/2 multiplexes all calls on it). An address that
 * is this process's own gets the in-process channel, so the single binary never calls itself over
 * the network while using the same ring-based routing as a cluster.
 */
public final class PeerChannels implements AutoCloseable {
    private final Channel inProcess;
    private final int maxInboundMessageBytes;
    private final Set<String> localAddresses = ConcurrentHashMap.newKeySet();
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    public PeerChannels(Channel inProcess, int maxInboundMessageBytes) {
        this.inProcess = inProcess;
        this.maxInboundMessageBytes = maxInboundMessageBytes;
    }

    /** Declares {@code address} as this process's own (e.g. the address it registered in a ring). */
    public void addLocal(String address) {
        localAddresses.add(address);
    }

    /** A channel to {@code address} carrying the caller's tenant. */
    public Channel channel(String address) {
        if (localAddresses.contains(address)) {
            return inProcess;
        }
        ManagedChannel channel = channels.computeIfAbsent(address, a -> NettyChannelBuilder.forTarget(a)
                .usePlaintext()
                // A name may resolve to several instances (the queriers behind a headless Service): spread calls over all of them.
                .defaultLoadBalancingPolicy("round_robin")
                .maxInboundMessageSize(maxInboundMessageBytes)
                .keepAliveTime(30, TimeUnit.SECONDS)
                .build());
        return ClientInterceptors.intercept(channel, TenantClientInterceptor.INSTANCE);
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }
}
