package dev.kiln.distributor;

import dev.kiln.common.KilnException;
import dev.kiln.common.process.InProcessIngester;
import dev.kiln.common.ring.InstanceDesc;
import dev.kiln.common.ring.Operation;
import dev.kiln.common.ring.ReplicationSet;
import dev.kiln.common.ring.Ring;
import dev.kiln.common.ring.RingUnavailableException;
import dev.kiln.common.server.PeerChannels;
import java.util.ArrayList;
import java.util.List;

/**
 * Routes a series to the ingesters that own its token in the ingester ring: the replica set of
 * {@link Operation#WRITE} (ACTIVE instances only, extended past instances in other states), of
 * which a quorum must acknowledge. The ingester of this process, if it runs one, is called directly.
 */
final class RingIngesterRouter implements IngesterRouter {
    private final Ring ring;
    private final PeerChannels peers;
    private final InProcessIngester inProcess;

    /** {@code inProcess} is the ingester running in this process, or null. */
    RingIngesterRouter(Ring ring, PeerChannels peers, InProcessIngester inProcess) {
        this.ring = ring;
        this.peers = peers;
        this.inProcess = inProcess;
    }

    @Override
    public Replicas replicasFor(int token) {
        ReplicationSet set;
        try {
            set = ring.get(token, Operation.WRITE);
        } catch (RingUnavailableException e) {
            throw KilnException.unavailable("no ingester quorum for this series: " + e.getMessage());
        }
        List<Endpoint> endpoints = new ArrayList<>(set.instances().size());
        String localId = inProcess == null ? null : inProcess.ringId();
        for (InstanceDesc instance : set.instances()) {
            endpoints.add(instance.id().equals(localId)
                    ? new Endpoint(instance.id(), null, inProcess)
                    : new Endpoint(instance.id(), peers.channel(instance.address())));
        }
        return new Replicas(endpoints, set.minSuccess());
    }
}
