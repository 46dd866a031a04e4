package dev.kiln.ingester;

import com.google.common.util.concurrent.AbstractIdleService;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.process.Component;
import dev.kiln.common.process.InProcessIngester;
import dev.kiln.common.process.KilnModule;
import dev.kiln.common.process.ProcessContext;
import dev.kiln.common.process.RingMember;
import dev.kiln.common.ring.RingKeys;
import dev.kiln.proto.ingester.v1.PushRequest;
import dev.kiln.proto.ingester.v1.PushResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The ingester as a process component: the {@link Ingester} plus its membership in the ingester
 * ring. Which states take what:
 *
 * <ul>
 *   <li>not in the ring while the write-ahead log replays (no writes are routed to it; the process
 *       is not ready);
 *   <li>ACTIVE: takes writes and serves reads;
 *   <li>LEAVING (on shutdown): distributors stop routing writes to it — the next ingester on the
 *       ring takes its share — while it still serves reads and flushes its head and uploads the
 *       blocks; only then does it leave the ring. A rolling restart therefore loses nothing, and
 *       what a restarted ingester had not flushed is replayed from its WAL.
 * </ul>
 */
public final class IngesterModule implements KilnModule {
    @Override
    public Component component() {
        return Component.INGESTER;
    }

    @Override
    public List<ConfigKey> keys() {
        return IngesterConfig.KEYS;
    }

    @Override
    public void init(ProcessContext process) {
        Ingester ingester = new Ingester(IngesterConfig.from(process.config()), process.limits(), process.objectStore(),
                process.registry(), process.queryExecutor(), process.queryMemory());
        ingester.register(process.server());
        // Pyroscope's operational endpoint: flush every head block to a block and upload it now
        // (before a planned shutdown, or to make recent data visible to store-gateways).
        process.server().route(HttpMethod.POST, "/ingester/flush", (ctx, req) -> HttpResponse.of(
                CompletableFuture.supplyAsync(() -> {
                    ingester.flushAll();
                    return HttpResponse.of(HttpStatus.NO_CONTENT);
                }, ctx.blockingTaskExecutor())));
        RingMember member = RingMember.of(process, RingKeys.INGESTER, () -> {});
        process.publish(Ingester.class, ingester);
        process.publish(InProcessIngester.class, new InProcessIngester() {
            @Override
            public String ringId() {
                return member.id();
            }

            @Override
            public PushResponse push(String tenant, PushRequest request) {
                return ingester.push(tenant, request);
            }
        });
        process.addService(new RingMemberIngester(ingester, member));
    }

    /** Orders the ingester's start and stop around its ring membership. */
    private static final class RingMemberIngester extends AbstractIdleService {
        private final Ingester ingester;
        private final RingMember member;

        RingMemberIngester(Ingester ingester, RingMember member) {
            this.ingester = ingester;
            this.member = member;
        }

        @Override
        protected void startUp() {
            ingester.startAsync().awaitRunning();
            member.join();
        }

        @Override
        protected void shutDown() {
            member.leave();
            ingester.stopAsync().awaitTerminated();
            member.stop();
        }

        @Override
        protected String serviceName() {
            return "ingester";
        }
    }
}
