package dev.kiln.common.process;

import dev.kiln.common.ring.InstanceState;
import dev.kiln.common.ring.Lifecycler;
import dev.kiln.common.ring.LifecyclerConfig;
import dev.kiln.common.ring.RingKeys;
import java.security.SecureRandom;
import java.time.Clock;

/**
 * This process's membership in one ring. The owning component decides when to join and leave
 * (an ingester joins after its WAL replay and leaves only after its final flush), so this is not a
 * service of its own. The registered address is resolved at {@link #join} time, once the server
 * listens and its port is known.
 */
public final class RingMember {
    private final ProcessContext process;
    private final RingKeys ring;
    private final Runnable whileJoining;
    private volatile Lifecycler lifecycler;

    RingMember(ProcessContext process, RingKeys ring, Runnable whileJoining) {
        this.process = process;
        this.ring = ring;
        this.whileJoining = whileJoining;
    }

    /** A member of {@code ring} that runs {@code whileJoining} (e.g. a first block sync) before turning ACTIVE. */
    public static RingMember of(ProcessContext process, RingKeys ring, Runnable whileJoining) {
        process.ring(ring);
        return new RingMember(process, ring, whileJoining);
    }

    /** Registers, claims tokens and becomes ACTIVE; blocks until then. */
    public void join() {
        int grpcPort = process.server().grpcPort();
        LifecyclerConfig config = ring.lifecyclerConfig(process.config(),
                grpcPort > 0 ? grpcPort : process.server().httpPort());
        process.peers().addLocal(config.address());
        Lifecycler joining = new Lifecycler(config, process.kvStore(ring.ringConfig(process.config()).kvstore()),
                ring.kvKey(), whileJoining, Clock.systemUTC(), new SecureRandom());
        lifecycler = joining;
        joining.startAsync().awaitRunning();
    }

    /** Stops taking writes (LEAVING) while still serving reads. */
    public void leave() {
        Lifecycler current = lifecycler;
        if (current != null && current.instanceState() == InstanceState.ACTIVE) {
            current.leave();
        }
    }

    /** Stops heartbeating and, unless configured otherwise, removes this instance from the ring. */
    public void stop() {
        Lifecycler current = lifecycler;
        if (current != null) {
            current.stopAsync().awaitTerminated();
        }
    }

    /** This instance's id, once joined. */
    public String id() {
        Lifecycler current = lifecycler;
        return current == null ? null : current.id();
    }

    public boolean isActive() {
        Lifecycler current = lifecycler;
        return current != null && current.isRunning() && current.instanceState() == InstanceState.ACTIVE;
    }
}
