package dev.kiln.compactor;

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
 * The compactor as a process component. Several compactors share the tenants through the
 * compactor ring: each tenant hashes to exactly one ACTIVE owner (replication factor 1). A LEAVING
 * compactor hands its tenants to the next one on the ring; a crashed one keeps them until it comes
 * back or is forgotten on {@code /compactor/ring}, so two compactors never merge one tenant at once.
 */
public final class CompactorModule implements KilnModule {
    @Override
    public Component component() {
        return Component.COMPACTOR;
    }

    @Override
    public List<ConfigKey> keys() {
        return CompactorConfig.KEYS;
    }

    @Override
    public void init(ProcessContext process) {
        Compactor compactor = new Compactor(CompactorConfig.from(process.config()), process.objectStore(), process.limits(),
                process.registry());
        Ring ring = process.ring(RingKeys.COMPACTOR);
        RingMember member = RingMember.of(process, RingKeys.COMPACTOR, () -> {});
        compactor.ownTenantsWhere(tenant -> member.isActive() && ring.isOwner(Tokens.forTenant(tenant), Operation.WRITE, member.id()));
        process.publish(Compactor.class, compactor);
        process.addService(new AbstractIdleService() {
            @Override
            protected void startUp() {
                member.join();
                compactor.startAsync().awaitRunning();
            }

            @Override
            protected void shutDown() {
                // Finish the current run before handing the tenants over, so two compactors never overlap.
                compactor.stopAsync().awaitTerminated();
                member.leave();
                member.stop();
            }

            @Override
            protected String serviceName() {
                return "compactor";
            }
        });
    }
}
