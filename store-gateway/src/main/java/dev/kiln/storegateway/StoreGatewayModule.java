package dev.kiln.storegateway;

import com.google.common.util.concurrent.AbstractIdleService;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.process.Component;
import dev.kiln.common.process.KilnModule;
import dev.kiln.common.process.ProcessContext;
import dev.kiln.common.process.RingMember;
import dev.kiln.common.ring.Operation;
import dev.kiln.common.ring.Ring;
import dev.kiln.common.ring.RingKeys;
import dev.kiln.common.ring.Tokens;
import java.util.List;

/**
 * The store-gateway as a process component: it joins the store-gateway ring after its first block
 * sync, and by default serves the blocks whose id hashes to it. Queriers send each block query to
 * one of the block's owners and fall back to the next owner when it fails, so with
 * {@code store_gateway.sharding_ring.replication_factor} of 2 or more one store-gateway can die.
 */
public final class StoreGatewayModule implements KilnModule {
    @Override
    public Component component() {
        return Component.STORE_GATEWAY;
    }

    @Override
    public List<ConfigKey> keys() {
        return StoreGatewayConfig.KEYS;
    }

    @Override
    public void init(ProcessContext process) {
        StoreGateway gateway = new StoreGateway(StoreGatewayConfig.from(process.config()), process.objectStore(),
                process.registry(), process.queryExecutor(), process.queryMemory());
        gateway.register(process.server());
        Ring ring = process.ring(RingKeys.STORE_GATEWAY);
        RingMember member = RingMember.of(process, RingKeys.STORE_GATEWAY, () -> {});
        gateway.ownBlocksWhere(blockId -> {
            String self = member.id();
            return self == null || ring.isOwner(Tokens.forBlock(blockId), Operation.READ, self);
        });
        process.addService(new AbstractIdleService() {
            @Override
            protected void startUp() {
                gateway.startAsync().awaitRunning();
                member.join();
            }

            @Override
            protected void shutDown() {
                member.leave();
                member.stop();
                gateway.stopAsync().awaitTerminated();
            }

            @Override
            protected String serviceName() {
                return "store-gateway";
            }
        });
    }
}
