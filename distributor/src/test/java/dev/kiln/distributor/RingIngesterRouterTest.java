package dev.kiln.distributor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.kiln.common.process.InProcessIngester;
import dev.kiln.common.ring.InstanceDesc;
import dev.kiln.common.ring.InstanceState;
import dev.kiln.common.ring.Ring;
import dev.kiln.common.ring.RingConfig;
import dev.kiln.common.ring.RingDesc;
import dev.kiln.common.ring.RingCodec;
import dev.kiln.common.ring.kv.InMemoryKvStore;
import dev.kiln.common.server.PeerChannels;
import dev.kiln.proto.ingester.v1.PushRequest;
import dev.kiln.proto.ingester.v1.PushResponse;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RingIngesterRouterTest {
    private static final Instant NOW = Instant.now();

    @Test
    void theIngesterOfThisProcessIsCalledDirectlyAndTheOthersOverGrpc() throws Exception {
        InProcessIngester local = new InProcessIngester() {
            @Override
            public String ringId() {
                return "ingester-b";
            }

            @Override
            public PushResponse push(String tenant, PushRequest request) {
                return PushResponse.getDefaultInstance();
            }
        };
        ManagedChannel inProcess = InProcessChannelBuilder.forName("router-test").build();
        try (InMemoryKvStore store = new InMemoryKvStore("router/")) {
            RingDesc desc = RingDesc.of(instance("ingester-a", 1), instance("ingester-b", 2), instance("ingester-c", 3));
            store.update("ring", ignored -> RingCodec.encode(desc));
            Ring ring = new Ring(RingConfig.DEFAULT.withReplicationFactor(3), store, "ring");
            ring.startAsync().awaitRunning();
            try {
                ring.awaitUntil(seen -> seen.instances().size() == 3, Duration.ofSeconds(10));
                RingIngesterRouter router = new RingIngesterRouter(ring, new PeerChannels(inProcess, 1 << 20), local);

                IngesterRouter.Replicas replicas = router.replicasFor(12345);

                assertEquals(3, replicas.endpoints().size());
                assertEquals(2, replicas.minSuccess());
                Map<String, IngesterRouter.Endpoint> byId = new HashMap<>();
                replicas.endpoints().forEach(e -> byId.put(e.id(), e));
                assertSame(local, byId.get("ingester-b").local());
                assertNull(byId.get("ingester-b").channel());
                for (String remote : new String[] {"ingester-a", "ingester-c"}) {
                    assertNull(byId.get(remote).local(), remote);
                    assertNotNull(byId.get(remote).channel(), remote);
                }
            } finally {
                ring.stopAsync().awaitTerminated();
                inProcess.shutdownNow();
            }
        }
    }

    private static InstanceDesc instance(String id, int token) {
        return new InstanceDesc(id, id + ":9095", "", InstanceState.ACTIVE, new int[] {token * 1_000_000_000}, NOW, NOW);
    }
}
