package dev.kiln.querier;

import dev.kiln.common.query.BlockQueryService;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.ring.InstanceDesc;
import dev.kiln.common.ring.Operation;
import dev.kiln.common.ring.Ring;
import dev.kiln.common.server.PeerChannels;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;

/**
 * The querier's sources from the rings: every healthy ingester for the recent part of a range,
 * the store-gateways for the part older than {@code querier.query_store_after}.
 */
final class RingQuerySources implements QuerySources {
    private final Ring ingesters;
    private final Ring storeGateways;
    private final PeerChannels peers;
    private final Duration queryStoreAfter;
    private final InstantSource clock;

    RingQuerySources(Ring ingesters, Ring storeGateways, PeerChannels peers, Duration queryStoreAfter, InstantSource clock) {
        this.ingesters = ingesters;
        this.storeGateways = storeGateways;
        this.peers = peers;
        this.queryStoreAfter = queryStoreAfter;
        this.clock = clock;
    }

    @Override
    public List<Source> sourcesFor(TimeRange range) {
        long cut = clock.millis() - queryStoreAfter.toMillis();
        List<Source> out = new ArrayList<>();
        if (range.endMs() >= cut) {
            TimeRange recent = new TimeRange(Math.max(range.startMs(), cut), range.endMs());
            for (InstanceDesc i : ingesters.getAllHealthy(Operation.READ).instances()) {
                out.add(new Source("ingester " + i.id(),
                        BlockQueryService.channelTo(peers.channel(i.address()), BlockQueryService.INGESTER_SERVICE), recent));
            }
        }
        if (range.startMs() < cut) {
            TimeRange older = new TimeRange(range.startMs(), Math.min(range.endMs(), cut - 1));
            for (InstanceDesc i : storeGateways.getAllHealthy(Operation.READ).instances()) {
                out.add(new Source("store-gateway " + i.id(),
                        BlockQueryService.channelTo(peers.channel(i.address()), BlockQueryService.STORE_GATEWAY_SERVICE), older));
            }
        }
        return out;
    }
}
