package dev.kiln.common.ring;

import com.google.common.util.concurrent.AbstractScheduledService;
import com.google.common.util.concurrent.ThreadFactoryBuilder;
import dev.kiln.common.ring.kv.KvStore;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one instance (an ingester, store-gateway or compactor) registered in a ring, as dskit's
 * {@code Lifecycler} does. As a Guava service:
 *
 * <ol>
 *   <li><b>starting</b>: registers as PENDING (keeping tokens and registration time if the ring
 *       still lists this id from an earlier run); claims {@code num_tokens} tokens — the ones it
 *       already had in the ring, else those in the tokens file, topped up with random ones — and
 *       becomes JOINING; runs the {@code whileJoining} task (e.g. a store-gateway's first block
 *       sync), heartbeating meanwhile; becomes ACTIVE. KV failures here fail the start.
 *   <li><b>running</b>: heartbeats every {@code heartbeat_period}, rewriting its whole entry, so an
 *       entry deleted by "forget" or lost with the KV data comes back. A failed heartbeat is logged
 *       and retried at the next period; the service keeps running.
 *   <li><b>stopping</b>: ACTIVE becomes LEAVING (unless {@link #leave()} did it earlier), then the
 *       entry is removed if {@code unregister_on_shutdown}. Failures are logged.
 * </ol>
 *
 * <p>Tokens are claimed inside the compare-and-swap that publishes them, against the tokens the
 * other instances hold in that very version of the ring, so two instances can never end up owning
 * the same token; dskit needs an {@code observe_period} for this because memberlist has no CAS.
 */
public final class Lifecycler extends AbstractScheduledService {

    private static final Logger log = LoggerFactory.getLogger(Lifecycler.class);

    /** dskit's permitted transitions ({@code Lifecycler.changeState}). */
    private static final Map<InstanceState, Set<InstanceState>> ALLOWED_TRANSITIONS = Map.of(
            InstanceState.PENDING, EnumSet.of(InstanceState.JOINING, InstanceState.ACTIVE),
            InstanceState.JOINING, EnumSet.of(InstanceState.PENDING, InstanceState.ACTIVE),
            InstanceState.ACTIVE, EnumSet.of(InstanceState.LEAVING),
            InstanceState.LEAVING, EnumSet.noneOf(InstanceState.class));

    private final LifecyclerConfig config;
    private final KvStore kv;
    private final String ringKey;
    private final Runnable whileJoining;
    private final Clock clock;
    private final RandomGenerator random;
    // Serialises this instance's ring writes, so a heartbeat carrying an old state cannot land
    // after a state change.
    private final Object writeLock = new Object();
    private volatile InstanceState state = InstanceState.PENDING;
    private volatile int[] tokens = new int[0];
    private volatile Instant registeredAt;

    /**
     * @param ringKey the ring's KV key ({@code ring}, {@code store-gateway}, {@code compactor})
     * @param whileJoining runs while the instance is JOINING, before it turns ACTIVE
     * @param random draws tokens; pass a seeded generator for reproducible tokens in tests
     */
    public Lifecycler(LifecyclerConfig config, KvStore kv, String ringKey, Runnable whileJoining, Clock clock,
            RandomGenerator random) {
        this.config = config;
        this.kv = kv;
        this.ringKey = ringKey;
        this.whileJoining = whileJoining;
        this.clock = clock;
        this.random = random;
    }

    public Lifecycler(LifecyclerConfig config, KvStore kv, String ringKey) {
        this(config, kv, ringKey, () -> {}, Clock.systemUTC(), new SecureRandom());
    }

    public String id() {
        return config.id();
    }

    public InstanceState instanceState() {
        return state;
    }

    /** The claimed tokens in unsigned order; empty until JOINING. */
    public int[] tokens() {
        return tokens.clone();
    }

    /**
     * Moves to {@code next} and publishes it. Only dskit's transitions are allowed: PENDING to
     * JOINING or ACTIVE, JOINING to PENDING or ACTIVE, ACTIVE to LEAVING. If the KV store cannot be
     * reached the new state is kept locally and published by the next heartbeat.
     *
     * @throws IllegalStateException if the transition is not allowed
     */
    public void changeState(InstanceState next) {
        transition(next);
        try {
            publish();
        } catch (RuntimeException e) {
            log.atWarn().addKeyValue("ring", ringKey).addKeyValue("instance", config.id())
                    .addKeyValue("state", next).addKeyValue("error", e.getMessage())
                    .log("could not publish state change, the next heartbeat will retry");
        }
    }

    /** Stops taking writes while still serving reads, ahead of shutdown (e.g. before a flush). */
    public void leave() {
        changeState(InstanceState.LEAVING);
    }

    @Override
    protected void startUp() throws InterruptedException {
        Instant now = clock.instant();
        int[] savedTokens = loadTokensFile();

        InstanceDesc registered = updateRing(ring -> {
            InstanceDesc previous = ring.instance(config.id()).orElse(null);
            return ring.with(describe(InstanceState.PENDING,
                    previous == null ? new int[0] : previous.tokens(),
                    previous == null ? now : previous.registeredAt(), now));
        });
        registeredAt = registered.registeredAt();
        tokens = registered.tokens();
        log.atInfo().addKeyValue("ring", ringKey).addKeyValue("instance", config.id())
                .addKeyValue("tokensInRing", tokens.length).log("registered in ring as PENDING");

        int[] preferred = tokens.length > 0 ? tokens : savedTokens;
        transition(InstanceState.JOINING);
        InstanceDesc joined = updateRing(ring -> ring.with(describe(InstanceState.JOINING,
                claimTokens(preferred, ring.tokensOwnedByOthers(config.id())), registeredAt, clock.instant())));
        tokens = joined.tokens();
        int kept = countShared(preferred, tokens);
        log.atInfo().addKeyValue("ring", ringKey).addKeyValue("instance", config.id())
                .addKeyValue("tokens", tokens.length).addKeyValue("reused", kept)
                .addKeyValue("generated", tokens.length - kept).log("claimed tokens, JOINING");
        saveTokensFile();

        runWhileJoining();

        transition(InstanceState.ACTIVE);
        publish();
        log.atInfo().addKeyValue("ring", ringKey).addKeyValue("instance", config.id()).log("ring instance ACTIVE");
    }

    @Override
    protected void runOneIteration() {
        try {
            if (publish()) {
                log.atInfo().addKeyValue("ring", ringKey).addKeyValue("instance", config.id())
                        .log("instance was missing from the ring, registered it again");
            }
        } catch (RuntimeException e) {
            // The KV store being briefly away must not stop the heartbeats.
            log.atWarn().addKeyValue("ring", ringKey).addKeyValue("instance", config.id())
                    .addKeyValue("error", e.getMessage()).log("heartbeat failed, retrying next period");
        }
    }

    @Override
    protected void shutDown() {
        if (state == InstanceState.ACTIVE) {
            changeState(InstanceState.LEAVING);
        }
        if (!config.unregisterOnShutdown()) {
            log.atInfo().addKeyValue("ring", ringKey).addKeyValue("instance", config.id()).addKeyValue("state", state)
                    .log("left ring entry in place (unregister_on_shutdown=false)");
            return;
        }
        try {
            synchronized (writeLock) {
                kv.update(ringKey, stored -> RingCodec.encode(RingCodec.decode(stored).without(config.id())));
            }
            log.atInfo().addKeyValue("ring", ringKey).addKeyValue("instance", config.id()).log("unregistered from ring");
        } catch (RuntimeException e) {
            log.atWarn().addKeyValue("ring", ringKey).addKeyValue("instance", config.id())
                    .addKeyValue("error", e.getMessage())
                    .log("could not unregister from ring; the entry will turn unhealthy and can be forgotten");
        }
    }

    @Override
    protected Scheduler scheduler() {
        long periodMillis = config.heartbeatPeriod().toMillis();
        return Scheduler.newFixedDelaySchedule(periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    protected String serviceName() {
        return "lifecycler " + ringKey + "/" + config.id();
    }

    private void transition(InstanceState next) {
        synchronized (writeLock) {
            InstanceState current = state;
            if (!ALLOWED_TRANSITIONS.get(current).contains(next)) {
                throw new IllegalStateException("changing ring instance " + config.id() + " from " + current
                        + " to " + next + " is not allowed");
            }
            state = next;
            log.atInfo().addKeyValue("ring", ringKey).addKeyValue("instance", config.id())
                    .addKeyValue("from", current).addKeyValue("to", next).log("changing instance state");
        }
    }

    /**
     * Writes this instance's entry with the current state, tokens and a fresh heartbeat.
     *
     * @return whether the entry was missing (forgotten, or the KV data was lost)
     */
    private boolean publish() {
        AtomicBoolean wasMissing = new AtomicBoolean();
        updateRing(ring -> {
            wasMissing.set(ring.instance(config.id()).isEmpty());
            return ring.with(describe(state, tokens, registeredAt, clock.instant()));
        });
        return wasMissing.get();
    }

    /** Applies {@code change} by compare-and-swap and returns this instance's entry as stored. */
    private InstanceDesc updateRing(UnaryOperator<RingDesc> change) {
        synchronized (writeLock) {
            byte[] stored = kv.update(ringKey, current -> RingCodec.encode(change.apply(RingCodec.decode(current))))
                    .orElseThrow(() -> new IllegalStateException("ring key " + ringKey + " vanished during update"))
                    .value();
            return RingCodec.decode(stored).instance(config.id()).orElseThrow(() -> new IllegalStateException(
                    "ring instance " + config.id() + " vanished during update"));
        }
    }

    // startUp runs before the scheduled heartbeats begin; a long joining task (minutes of block
    // syncing) must not let the entry look dead to the rest of the ring meanwhile.
    private void runWhileJoining() throws InterruptedException {
        ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(
                new ThreadFactoryBuilder().setNameFormat("lifecycler-joining-heartbeat-%d").setDaemon(true).build());
        long periodMillis = config.heartbeatPeriod().toMillis();
        heartbeats.scheduleWithFixedDelay(this::runOneIteration, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
        try {
            whileJoining.run();
        } finally {
            heartbeats.shutdownNow();
            heartbeats.awaitTermination(1, TimeUnit.MINUTES);
        }
    }

    private InstanceDesc describe(InstanceState newState, int[] newTokens, Instant registered, Instant heartbeat) {
        return new InstanceDesc(config.id(), config.address(), config.availabilityZone(), newState, newTokens,
                registered, heartbeat);
    }

    /** {@code preferred} minus tokens others own, topped up with fresh random tokens to num_tokens. */
    private int[] claimTokens(int[] preferred, int[] takenByOthers) {
        Set<Integer> taken = new HashSet<>();
        for (int token : takenByOthers) {
            taken.add(token);
        }
        int[] keep = Arrays.stream(preferred).distinct().filter(token -> !taken.contains(token)).toArray();
        int missing = config.numTokens() - keep.length;
        if (missing <= 0) {
            return keep;
        }
        int[] unavailable = new int[takenByOthers.length + keep.length];
        System.arraycopy(takenByOthers, 0, unavailable, 0, takenByOthers.length);
        System.arraycopy(keep, 0, unavailable, takenByOthers.length, keep.length);
        int[] fresh = Tokens.generate(missing, unavailable, random);
        int[] all = Arrays.copyOf(keep, keep.length + fresh.length);
        System.arraycopy(fresh, 0, all, keep.length, fresh.length);
        return all;
    }

    private static int countShared(int[] preferred, int[] claimed) {
        Set<Integer> claimedSet = new HashSet<>();
        for (int token : claimed) {
            claimedSet.add(token);
        }
        return (int) Arrays.stream(preferred).distinct().filter(claimedSet::contains).count();
    }

    private int[] loadTokensFile() {
        if (config.tokensFilePath().isEmpty()) {
            return new int[0];
        }
        try {
            return TokensFile.load(Path.of(config.tokensFilePath()));
        } catch (IOException e) {
            log.atWarn().addKeyValue("path", config.tokensFilePath()).addKeyValue("error", e.getMessage())
                    .log("ignoring unreadable tokens file, generating new tokens");
            return new int[0];
        }
    }

    private void saveTokensFile() {
        if (config.tokensFilePath().isEmpty()) {
            return;
        }
        try {
            TokensFile.save(Path.of(config.tokensFilePath()), tokens);
        } catch (IOException e) {
            log.atWarn().addKeyValue("path", config.tokensFilePath()).addKeyValue("error", e.getMessage())
                    .log("could not save tokens file; a restart will draw new tokens");
        }
    }
}
