package dev.kiln.ingester;

import com.google.common.util.concurrent.AbstractIdleService;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.kiln.common.memory.QueryMemoryBudget;
import dev.kiln.common.InvalidInputException;
import dev.kiln.common.KilnException;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.limits.TenantLimits;
import dev.kiln.common.model.Labels;
import dev.kiln.common.pprof.PprofData;
import dev.kiln.common.query.BlockQueryService;
import dev.kiln.common.query.QueryableBlock;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.server.KilnServer;
import dev.kiln.common.server.Unary;
import dev.kiln.common.tenant.Tenants;
import dev.kiln.common.objstore.ObjectStore;
import dev.kiln.ingester.flush.Flusher;
import dev.kiln.ingester.flush.LocalBlocks;
import dev.kiln.ingester.head.DecodedProfile;
import dev.kiln.ingester.head.Head;
import dev.kiln.ingester.head.HeadBlock;
import dev.kiln.ingester.wal.Wal;
import dev.kiln.ingester.wal.WalRecord;
import dev.kiln.proto.ingester.v1.IngesterServiceGrpc;
import dev.kiln.proto.ingester.v1.ProfileSeries;
import dev.kiln.proto.ingester.v1.PushRequest;
import dev.kiln.proto.ingester.v1.PushResponse;
import dev.kiln.proto.ingester.v1.RawProfile;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingester: receives pushes from distributors, keeps recent profiles in its head and answers
 * queries over them.
 */
public final class Ingester extends AbstractIdleService {
    private static final Logger log = LoggerFactory.getLogger(Ingester.class);
    private final IngesterConfig config;
    private final TenantLimits limits;
    private final Head head;
    private final BlockQueryService queries;
    private final MeterRegistry registry;
    /**
     * Pushes hold the read side from choosing their head blocks until they have appended to them;
     * {@link #detach} takes the write side, so no logged push can land in a block after it was cut.
     */
    private final ReentrantReadWriteLock appendGate = new ReentrantReadWriteLock();
    private volatile Wal wal;

    private final LocalBlocks localBlocks;
    private final Timer walAppends;
    private final Flusher flusher;
    private volatile ScheduledExecutorService flushLoop;
    /** A flush check is queued on the flush loop because a push went over a memory limit. */
    private final AtomicBoolean flushRequested = new AtomicBoolean();
    /**
     * The column sizes of the last decoded profile, to size the next decode: agents send profiles of
     * similar size, and growing the columns from small defaults copied each of them several times.
     * Racing pushes may overwrite each other's; any shape is only a hint.
     */
    private volatile PprofData.Shape lastShape;
    /** pyroscope.ingester.profile.samples.received by tenant, registered once rather than on every push. */
    private final Map<String, Counter> samplesReceived = new java.util.concurrent.ConcurrentHashMap<>();

    public Ingester(IngesterConfig config, TenantLimits limits, ObjectStore store, MeterRegistry registry, Executor queryExecutor,
            QueryMemoryBudget queryMemory) {
        this.config = config;
        this.limits = limits;
        this.registry = registry;
        this.head = new Head(config.maxBlockDuration().toMillis());
        this.queries = new BlockQueryService(this::blocks, queryExecutor, queryMemory);
        this.localBlocks = new LocalBlocks(config.localBlocksDir());
        this.flusher = new Flusher(config.flush(), head, localBlocks, store, new Flusher.Hooks() {
            @Override
            public void detach(HeadBlock block) {
                Ingester.this.detach(block);
            }

            @Override
            public void flushed(HeadBlock block) throws IOException {
                blockFlushed(block);
            }
        }, registry);
        this.walAppends = Timer.builder("pyroscope.ingester.wal.append.duration")
                .description("Time to make a push durable in the write-ahead log (write + fsync per policy, shared by group commit).")
                .serviceLevelObjectives(java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(5), java.time.Duration.ofMillis(10),
                        java.time.Duration.ofMillis(25), java.time.Duration.ofMillis(50), java.time.Duration.ofMillis(100))
                .register(registry);
        Gauge.builder("pyroscope.ingester.head.size.bytes", head, Head::sizeBytes)
                .description("Estimated memory held by head blocks.").register(registry);
        Gauge.builder("pyroscope.ingester.head.series", head, h -> h.allBlocks().stream().mapToLong(HeadBlock::seriesCount).sum())
                .description("Series in head blocks.").register(registry);
        Gauge.builder("pyroscope.ingester.head.blocks", head, h -> h.allBlocks().size())
                .description("Head blocks (one per tenant and time window).").register(registry);
    }

    /** Registers the ingester's gRPC services (push and queries) on the process's server. */
    public void register(KilnServer server) {
        server.addInternalService(new PushService());
        server.addInternalService(queries.bindAs(BlockQueryService.INGESTER_SERVICE));
    }

    public Head head() {
        return head;
    }

    /**
     * Block ids restrict only object-storage blocks, which queriers route to store-gateways; an
     * ingester answers from everything it holds for the tenant, so it ignores them.
     */
    private List<QueryableBlock> blocks(String tenant, TimeRange range, Set<String> blockIds) {
        return queryable(tenant);
    }

    /** Every block answering the tenant's queries: head, blocks being flushed, local blocks. */
    public List<QueryableBlock> queryable(String tenant) {
        return flusher.blocks(tenant);
    }

    /**
     * Opens the local blocks, replays the write-ahead log into the head (skipping blocks already
     * uploaded), then accepts pushes and starts the flush loop.
     */
    @Override
    protected void startUp() throws IOException {
        Set<String> uploaded = localBlocks.load();
        Map<String, HeadBlock> replayed = new HashMap<>();
        wal = Wal.open(config.walDir(), config.wal(), r -> {
            if (!uploaded.contains(r.blockId())) {
                replay(r, replayed);
            }
        });
        for (var b : localBlocks.all()) {
            wal.markFlushed(b.meta().tenant(), b.meta().id());
        }
        long period = Math.max(1, config.flushCheckPeriod().toMillis());
        flushLoop = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("kiln-flush").daemon().unstarted(r));
        flushLoop.scheduleWithFixedDelay(this::flushDue, period, period, TimeUnit.MILLISECONDS);
    }

    /** One flush check as of {@code nowMs}: flushes due head blocks, expires old local blocks. */
    public void flushDue(long nowMs) {
        flusher.flushDue(nowMs);
    }

    private void flushDue() {
        try {
            flusher.flushDue(System.currentTimeMillis());
        } catch (RuntimeException e) {
            log.atError().setCause(e).log("flush check failed");
        }
    }

    /** Flushes every head block now; used on shutdown and by tests. */
    public void flushAll() {
        flusher.flushAll();
    }

    /** Stops the flush loop, flushes the head (so scale-downs leave nothing only in the WAL) unless configured not to, closes the WAL. */
    @Override
    protected void shutDown() throws InterruptedException {
        flushLoop.shutdown();
        flushLoop.awaitTermination(1, TimeUnit.MINUTES);
        try {
            if (config.flushOnShutdown()) {
                flusher.flushAll();
            }
        } catch (RuntimeException e) {
            log.atWarn().addKeyValue("err", e.getMessage()).log("flush on shutdown failed; the write-ahead log keeps the data");
        }
        wal.close();
    }

    /**
     * Decodes and validates every profile of the request (bad input is rejected before anything is
     * logged), logs the push to the write-ahead log, then stores the profiles in the head. Returns
     * once the push is durable under the fsync policy.
     */
    public PushResponse push(String tenant, PushRequest request) {
        Wal writeAhead = wal;
        if (writeAhead == null) {
            throw KilnException.unavailable("ingester is not running");
        }
        Limits l = limits.forTenant(tenant);
        List<Decoded> decoded = new ArrayList<>();
        long bytes = 0;
        long samples = 0;
        for (int s = 0; s < request.getSeriesCount(); s++) {
            ProfileSeries series = request.getSeries(s);
            Labels labels = Labels.fromPairs(series.getLabelsList());
            for (RawProfile raw : series.getProfilesList()) {
                DecodedProfile d;
                try {
                    d = DecodedProfile.decode(labels, raw.getPayload(), raw.getId(), raw.getDefaultTimeNanos(),
                            raw.getSampleTypeDisplayNamesMap(), l, lastShape);
                    lastShape = d.shape();
                    checkTimeWindow(d.timeNanos(), l);
                } catch (InvalidInputException e) {
                    discarded(tenant, e, request);
                    throw e;
                }
                decoded.add(new Decoded(s, raw, d));
                bytes += d.decompressedBytes();
                samples += d.sampleCount();
            }
        }
        // Plain loops, not Map.forEach/computeIfAbsent with lambdas: those JDK methods share one
        // type profile among all their callers, and when C2 inlined them here, any other caller's
        // lambda deoptimized this whole method (recompiling it costs more than a second of C2 time).
        appendGate.readLock().lock();
        try {
            Map<HeadBlock, List<Decoded>> byBlock = new LinkedHashMap<>();
            for (Decoded d : decoded) {
                HeadBlock block = head.blockFor(tenant, d.profile().timeNanos());
                List<Decoded> profiles = byBlock.get(block);
                if (profiles == null) {
                    profiles = new ArrayList<>();
                    byBlock.put(block, profiles);
                }
                profiles.add(d);
            }
            checkSeriesLimit(tenant, l, byBlock, request);
            List<WalRecord> records = new ArrayList<>(byBlock.size());
            for (Map.Entry<HeadBlock, List<Decoded>> e : byBlock.entrySet()) {
                HeadBlock block = e.getKey();
                records.add(new WalRecord(tenant, block.id(), block.windowStartMs(), slice(request, e.getValue()).toByteArray()));
            }
            long walStart = System.nanoTime();
            writeAhead.append(records);
            walAppends.record(System.nanoTime() - walStart, TimeUnit.NANOSECONDS);
            for (Map.Entry<HeadBlock, List<Decoded>> e : byBlock.entrySet()) {
                for (Decoded d : e.getValue()) {
                    e.getKey().append(d.profile());
                    d.profile().release();
                }
            }
        } finally {
            appendGate.readLock().unlock();
        }
        Counter received = samplesReceived.get(tenant);
        if (received == null) {
            received = samplesReceived.computeIfAbsent(tenant, t -> Counter.builder("pyroscope.ingester.profile.samples.received")
                    .description("Samples received by the ingester.").tag("tenant", t).register(registry));
        }
        received.increment(samples);
        flushIfOverMemoryLimits();
        return PushResponse.newBuilder().setProfiles(decoded.size()).setSamples(samples).setDecompressedBytes(bytes).build();
    }

    /**
     * A push that takes the head past {@code max_head_bytes} (or a block past {@code max_block_bytes})
     * runs a flush check now rather than at the next period: at tens of MB/s the head would
     * otherwise outgrow its limit many times over between two checks.
     */
    private void flushIfOverMemoryLimits() {
        ScheduledExecutorService loop = flushLoop;
        if (loop != null && flusher.overMemoryLimits() && flushRequested.compareAndSet(false, true)) {
            try {
                loop.execute(() -> {
                    flushRequested.set(false);
                    flushDue();
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // Stopping: shutdown flushes the head itself (or the write-ahead log keeps it).
            }
        }
    }

    /** A decoded profile with the request series it came from and its raw form, for logging. */
    private record Decoded(int series, RawProfile raw, DecodedProfile profile) {}

    /**
     * limits.max_global_series_per_tenant: a push that would take one of the tenant's head blocks
     * past the limit is refused whole (one ingester holds every series in the single-process mode).
     */
    private void checkSeriesLimit(String tenant, Limits l, Map<HeadBlock, List<Decoded>> byBlock, PushRequest request) {
        int limit = l.maxGlobalSeriesPerTenant();
        if (limit <= 0) {
            return;
        }
        for (Map.Entry<HeadBlock, List<Decoded>> e : byBlock.entrySet()) {
            int added = 0;
            for (Decoded d : e.getValue()) {
                added += e.getKey().newSeries(d.profile());
            }
            if (added > 0 && e.getKey().seriesCount() + added > limit) {
                KilnException k = KilnException.resourceExhausted("tenant '" + tenant + "' would have " + (e.getKey().seriesCount() + added)
                        + " series, more than the limit of " + limit + " (limits.max_global_series_per_tenant)");
                discarded(tenant, k, request);
                throw k;
            }
        }
    }

    /** limits.reject_older_than / reject_newer_than of one {@link Limits} instance, in milliseconds. */
    private record TimeWindow(Limits limits, long olderMs, long newerMs) {}

    /** The window of the last limits checked: parsing the two durations on every push showed in profiles. */
    private volatile TimeWindow timeWindow = new TimeWindow(null, 0, 0);

    /** limits.reject_older_than / reject_newer_than: outside this window a push is refused. */
    private void checkTimeWindow(long timeNanos, Limits l) {
        TimeWindow w = timeWindow;
        if (w.limits() != l) {
            w = new TimeWindow(l, l.rejectOlderThanDuration().toMillis(), l.rejectNewerThanDuration().toMillis());
            timeWindow = w;
        }
        long nowMs = System.currentTimeMillis();
        long ms = Math.floorDiv(timeNanos, 1_000_000L);
        long older = w.olderMs();
        long newer = w.newerMs();
        if (older > 0 && ms < nowMs - older) {
            throw new InvalidInputException("profile time " + java.time.Instant.ofEpochMilli(ms) + " is older than "
                    + l.rejectOlderThan() + " (limits.reject_older_than)");
        }
        if (newer > 0 && ms > nowMs + newer) {
            throw new InvalidInputException("profile time " + java.time.Instant.ofEpochMilli(ms) + " is more than "
                    + l.rejectNewerThan() + " in the future (limits.reject_newer_than)");
        }
    }

    /** Counts a refused push by the limit that refused it (the key named in the message), or as invalid. */
    private void discarded(String tenant, KilnException e, PushRequest request) {
        java.util.regex.Matcher m = LIMIT_IN_MESSAGE.matcher(String.valueOf(e.getMessage()));
        String reason = m.find() ? m.group(1) : "invalid_profile";
        int profiles = 0;
        for (ProfileSeries s : request.getSeriesList()) {
            profiles += s.getProfilesCount();
        }
        Counter.builder("pyroscope.discarded.profiles").description("Profiles refused, by reason.")
                .tags("reason", reason, "tenant", tenant).register(registry).increment(profiles);
    }

    private static final java.util.regex.Pattern LIMIT_IN_MESSAGE = java.util.regex.Pattern.compile("\\(limits\\.([a-z_]+)\\)");

    /**
     * The part of a request that went to one head block. Each profile's resolved timestamp is
     * logged as its default time, so a profile without one of its own replays at the same time.
     */
    private static PushRequest slice(PushRequest request, List<Decoded> profiles) {
        Map<Integer, ProfileSeries.Builder> series = new LinkedHashMap<>();
        for (Decoded d : profiles) {
            ProfileSeries.Builder b = series.get(d.series());
            if (b == null) {
                b = ProfileSeries.newBuilder().addAllLabels(request.getSeries(d.series()).getLabelsList());
                series.put(d.series(), b);
            }
            b.addProfiles(d.raw().toBuilder().setDefaultTimeNanos(d.profile().timeNanos()));
        }
        PushRequest.Builder out = PushRequest.newBuilder();
        for (ProfileSeries.Builder b : series.values()) {
            out.addSeries(b);
        }
        return out.build();
    }

    /** Re-appends one logged push slice to the head block it was first appended to. */
    private void replay(WalRecord record, Map<String, HeadBlock> replayed) {
        HeadBlock block = replayed.computeIfAbsent(record.blockId(),
                id -> head.blockWithId(record.tenant(), id, record.windowStartMs()));
        PushRequest request;
        try {
            request = PushRequest.parseFrom(record.payload());
        } catch (InvalidProtocolBufferException e) {
            log.atWarn().addKeyValue("tenant", record.tenant()).addKeyValue("block", record.blockId())
                    .addKeyValue("error", e.getMessage()).log("skipped undecodable write-ahead log record");
            return;
        }
        Limits l = replayLimits(limits.forTenant(record.tenant()));
        for (ProfileSeries series : request.getSeriesList()) {
            Labels labels = Labels.fromPairs(series.getLabelsList());
            for (RawProfile raw : series.getProfilesList()) {
                try {
                    DecodedProfile profile = DecodedProfile.decode(labels, raw.getPayload(), raw.getId(),
                            raw.getDefaultTimeNanos(), raw.getSampleTypeDisplayNamesMap(), l, null);
                    block.append(profile);
                    profile.release();
                } catch (InvalidInputException e) {
                    log.atWarn().addKeyValue("tenant", record.tenant()).addKeyValue("block", record.blockId())
                            .addKeyValue("profile", raw.getId()).addKeyValue("error", e.getMessage())
                            .log("skipped logged profile that no longer decodes");
                }
            }
        }
    }

    /**
     * The limits logged profiles are decoded with on replay. They were accepted when logged, so the
     * checks that reject input are off (a tenant's limits may have been lowered since); the settings
     * that shape what is stored (stack depth, symbol length) still apply.
     */
    private static Limits replayLimits(Limits l) {
        return new Limits(l.ingestionRateMb(), l.ingestionBurstSizeMb(), 0, 0, 0, 0, 0, l.maxProfileStacktraceDepth(),
                l.maxProfileSymbolValueLength(), l.rejectOlderThan(), l.rejectNewerThan(), l.maxGlobalSeriesPerTenant(),
                l.maxQueryLength(), l.maxQueryLookback(), l.maxFlameGraphNodesDefault(), l.maxFlameGraphNodesMax(),
                l.maxConcurrentQueries(), l.splitQueriesByInterval(), l.retentionPeriod());
    }

    /**
     * Takes a head block out of the head so that no push appends to it any more (the next push for
     * its window opens a new block): the first step of flushing it. Waits for pushes in flight.
     */
    public void detach(HeadBlock block) {
        appendGate.writeLock().lock();
        try {
            head.remove(block);
        } finally {
            appendGate.writeLock().unlock();
        }
    }

    /**
     * Called once a detached head block's data is in an uploaded block: its write-ahead log records
     * are no longer needed, and segments holding only such records are deleted.
     */
    public void blockFlushed(HeadBlock block) throws IOException {
        wal.markFlushed(block.tenant(), block.id());
    }

    private final class PushService extends IngesterServiceGrpc.IngesterServiceImplBase {
        @Override
        public void push(PushRequest request, StreamObserver<PushResponse> obs) {
            Unary.run(obs, () -> Ingester.this.push(Tenants.single(Tenants.current()), request));
        }
    }
}
