package dev.kiln.querier;

import dev.kiln.common.block.BlockMeta;
import dev.kiln.common.query.BlockQueryService;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.ring.InstanceDesc;
import dev.kiln.common.ring.Operation;
import dev.kiln.common.ring.Ring;
import dev.kiln.common.ring.Tokens;
import dev.kiln.common.server.PeerChannels;
import dev.kiln.common.tenant.Tenants;
import io.grpc.Channel;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The querier's plan from the rings. A range is split at {@code now - querier.query_store_after}:
 *
 * <ul>
 *   <li>the recent part goes to every healthy ingester. With replication factor RF each
 *       acknowledged profile is on at least RF/2+1 of them, so RF/2 ingesters may fail and the
 *       replicas are deduplicated;
 *   <li>the older part goes to the store-gateways: each block of the tenant's bucket index to the
 *       healthy store-gateways owning its id on the store-gateway ring, in ring order (the first is
 *       asked, the next ones take over when it fails). Blocks with the same owners form one source.
 * </ul>
 */
final class RingQuerySources implements QuerySources {
    private final Ring ingesters;
    private final Ring storeGateways;
    private final PeerChannels peers;
    private final BlockCatalog catalog;
    private final Duration queryStoreAfter;
    private final InstantSource clock;

    RingQuerySources(Ring ingesters, Ring storeGateways, PeerChannels peers, BlockCatalog catalog, Duration queryStoreAfter,
            InstantSource clock) {
        this.ingesters = ingesters;
        this.storeGateways = storeGateways;
        this.peers = peers;
        this.catalog = catalog;
        this.queryStoreAfter = queryStoreAfter;
        this.clock = clock;
    }

    @Override
    public Plan planFor(TimeRange range) {
        long cut = clock.millis() - queryStoreAfter.toMillis();
        int rf = ingesters.replicationFactor();
        List<Source> out = new ArrayList<>();
        if (range.endMs() >= cut) {
            TimeRange recent = new TimeRange(Math.max(range.startMs(), cut), range.endMs());
            for (InstanceDesc i : ingesters.getAllHealthy(Operation.READ).instances()) {
                out.add(new Source("ingester " + i.id(), List.of(channel(i, BlockQueryService.INGESTER_SERVICE)), recent, List.of(), true));
            }
        }
        if (range.startMs() < cut) {
            TimeRange older = new TimeRange(range.startMs(), Math.min(range.endMs(), cut - 1));
            Map<List<String>, List<String>> blocksByOwners = new LinkedHashMap<>();
            Map<String, InstanceDesc> owners = new LinkedHashMap<>();
            for (BlockMeta block : catalog.blocks(Tenants.currentAll(), older)) {
                List<String> ids = new ArrayList<>();
                for (InstanceDesc owner : storeGateways.healthyReplicas(Tokens.forBlock(block.id()), Operation.READ)) {
                    ids.add(owner.id());
                    owners.put(owner.id(), owner);
                }
                blocksByOwners.computeIfAbsent(ids, k -> new ArrayList<>()).add(block.id());
            }
            for (Map.Entry<List<String>, List<String>> group : blocksByOwners.entrySet()) {
                List<Channel> replicas = group.getKey().stream()
                        .map(id -> channel(owners.get(id), BlockQueryService.STORE_GATEWAY_SERVICE)).toList();
                out.add(new Source("store-gateways " + group.getKey(), replicas, older, group.getValue(), false));
            }
        }
        // Replicas of a profile exist only with RF > 1: on several ingesters, and in the blocks
        // they each upload until the compactor merged them.
        return new Plan(out, rf > 1, rf > 1 ? rf / 2 : 0);
    }

    private Channel channel(InstanceDesc instance, String service) {
        return BlockQueryService.channelTo(peers.channel(instance.address()), service);
    }
}
