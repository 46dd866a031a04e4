package dev.kiln.compactor;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import com.google.common.util.concurrent.AbstractScheduledService;
import dev.kiln.common.KilnException;
import dev.kiln.common.block.BlockMerger;
import dev.kiln.common.block.BlockMeta;
import dev.kiln.common.block.BlockUploader;
import dev.kiln.common.block.BlockWriterConfig;
import dev.kiln.common.block.ParquetBlock;
import dev.kiln.common.limits.TenantLimits;
import dev.kiln.common.model.Ulid;
import dev.kiln.common.objstore.ObjectStore;
import dev.kiln.common.tenant.Tenants;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compactor: keeps every tenant's bucket index current, merges blocks into larger ones
 * (deduplicating the replicas' copies of a profile), applies retention and deletes replaced and
 * expired blocks after a delay.
 *
 * <p>Each run, per tenant: list the block directories (a block without meta.json is still being
 * uploaded and is left alone), mark for deletion what retention expires, merge the due ranges
 * (see {@link CompactionPlanner}), and delete marked blocks whose delay has passed. Readers find
 * blocks only through the bucket index, so the order of writes is what keeps them from seeing a
 * profile twice or missing one: a merged block is uploaded completely first (meta.json last),
 * then its inputs get their deletion-mark.json, then one index write lists the new block and
 * marks the inputs together. A crash anywhere in between leaves an index that still lists only
 * the inputs; the next run finds the merged block, sees that it holds the inputs' data and marks
 * them before it writes the index (see {@link TenantBlocks#replaced()}).
 *
 * <p>One thread does everything, one merge at a time, so disk use is bounded by the largest
 * merge. Merges read their inputs straight from the object store (ranged reads of the columns)
 * and stream them, so memory holds the inputs' symbol tables and series indexes, not their
 * profiles.
 */
public final class Compactor extends AbstractScheduledService {
    private static final Logger log = LoggerFactory.getLogger(Compactor.class);
    private static final String META = "meta.json";

    private final CompactorConfig config;
    private final ObjectStore store;
    private final TenantLimits limits;
    private final CompactionPlanner planner;
    private final Path scratch;
    private final Map<String, TenantBlocks> tenants = new HashMap<>();
    private long nextCleanupMs;

    private final Counter compactions;
    private final Counter compactionFailures;
    private final Counter markedByCompaction;
    private final Counter markedByRetention;
    private final Counter blocksDeleted;
    private final Counter inputBytes;
    private final Timer compactionDuration;
    private final AtomicLong lastSuccessfulRunSeconds = new AtomicLong();

    private volatile Predicate<String> ownsTenant = tenant -> true;

    /**
     * Restricts this compactor to the tenants it owns on the compactor ring, so that each tenant is
     * compacted by exactly one of several compactors; by default it compacts every tenant.
     */
    public void ownTenantsWhere(Predicate<String> owns) {
        this.ownsTenant = owns;
    }

    public Compactor(CompactorConfig config, ObjectStore store, TenantLimits limits, MeterRegistry registry) {
        this.config = config;
        this.store = store;
        this.limits = limits;
        this.planner = new CompactionPlanner(config.blockRanges(), config.compactionWaitPeriod());
        this.scratch = config.dataDir().resolve("merging");
        this.compactions = Counter.builder("pyroscope.compactor.compactions")
                .description("Merges completed: each turns two or more blocks into one.").register(registry);
        this.compactionFailures = Counter.builder("pyroscope.compactor.compactions.failed")
                .description("Merges that failed; they are retried on the next run.").register(registry);
        this.markedByCompaction = markedCounter(registry, "compaction");
        this.markedByRetention = markedCounter(registry, "retention");
        this.blocksDeleted = Counter.builder("pyroscope.compactor.blocks.cleaned")
                .description("Blocks deleted from storage after their deletion delay.").register(registry);
        this.inputBytes = Counter.builder("pyroscope.compactor.compaction.input.bytes").baseUnit("bytes")
                .description("Bytes of the blocks merged.").register(registry);
        this.compactionDuration = Timer.builder("pyroscope.compactor.compaction.duration")
                .description("Time to merge blocks and upload the result.").register(registry);
        Gauge.builder("pyroscope.compactor.last.successful.run.timestamp", lastSuccessfulRunSeconds, AtomicLong::get)
                .baseUnit("seconds").description("When the last run that handled every tenant without error ended (Unix time).")
                .register(registry);
    }

    private static Counter markedCounter(MeterRegistry registry, String reason) {
        return Counter.builder("pyroscope.compactor.blocks.marked.for.deletion").tag("reason", reason)
                .description("Blocks marked for deletion: replaced by a merged block (compaction) or expired (retention).")
                .register(registry);
    }

    @Override
    protected void startUp() throws IOException {
        // Left over from a merge interrupted by a crash: never uploaded completely, so useless.
        if (Files.exists(scratch)) {
            MoreFiles.deleteRecursively(scratch, RecursiveDeleteOption.ALLOW_INSECURE);
        }
        log.atInfo().addKeyValue("dataDir", config.dataDir()).addKeyValue("blockRanges", config.blockRanges())
                .addKeyValue("interval", config.compactionInterval()).log("compactor started");
    }

    @Override
    protected Scheduler scheduler() {
        return Scheduler.newFixedDelaySchedule(Duration.ZERO, config.compactionInterval());
    }

    @Override
    protected void runOneIteration() {
        long now = System.currentTimeMillis();
        run(now, now >= nextCleanupMs);
    }

    /** One complete run at {@code nowMs}: index refresh, merges, retention and deletion, for every tenant. */
    public void runOnce(long nowMs) {
        run(nowMs, true);
    }

    private synchronized void run(long nowMs, boolean cleanup) {
        List<String> listed;
        try {
            listed = store.listPrefixes("");
        } catch (RuntimeException e) {
            log.atError().addKeyValue("err", String.valueOf(e.getMessage())).log("cannot list tenants; will retry");
            return;
        }
        tenants.keySet().retainAll(listed);
        boolean allDone = true;
        for (String tenant : listed) {
            if (stopping()) {
                return;
            }
            if (!isTenant(tenant) || !ownsTenant.test(tenant)) {
                continue;
            }
            try {
                runTenant(tenant, nowMs, cleanup);
            } catch (RuntimeException e) {
                allDone = false;
                // Forget the tenant's state: the next run starts again from its bucket index.
                tenants.remove(tenant);
                log.atError().addKeyValue("tenant", tenant).addKeyValue("err", String.valueOf(e.getMessage()))
                        .log("compactor run failed for tenant; will retry");
            }
        }
        if (cleanup) {
            nextCleanupMs = nowMs + config.cleanupInterval().toMillis();
        }
        if (allDone) {
            lastSuccessfulRunSeconds.set(System.currentTimeMillis() / 1000);
        }
    }

    private static boolean isTenant(String name) {
        try {
            Tenants.validate(name);
            return true;
        } catch (KilnException e) {
            return false;
        }
    }

    private boolean stopping() {
        return state() == State.STOPPING;
    }

    private void runTenant(String tenant, long nowMs, boolean cleanup) {
        TenantBlocks t = tenants.computeIfAbsent(tenant, k -> TenantBlocks.load(store, k));
        t.sync(store);
        if (cleanup) {
            applyRetention(t, nowMs);
        }
        publish(t, nowMs, false);
        mergeDueRanges(t, nowMs);
        if (cleanup) {
            deleteDue(t, nowMs);
            // Also rewritten without changes, so readers can tell from updatedAt that the compactor is alive.
            publish(t, nowMs, t.indexed());
        }
    }

    /**
     * Writes the tenant's index if it changed. Every index write goes through here and first marks
     * the blocks another block replaces, so no index ever lists a profile twice.
     */
    private void publish(TenantBlocks t, long nowMs, boolean force) {
        for (BlockMeta replaced : t.replaced()) {
            mark(t, replaced.id(), nowMs, markedByCompaction, "compaction");
        }
        if (force || t.changed()) {
            t.writeIndex(store, nowMs);
        }
    }

    private void mark(TenantBlocks t, String id, long nowMs, Counter counter, String reason) {
        long deletionTime = DeletionMarkFile.mark(store, t.tenant, id, nowMs);
        t.mark(id, deletionTime);
        counter.increment();
        log.atInfo().addKeyValue("tenant", t.tenant).addKeyValue("block", id).addKeyValue("reason", reason)
                .addKeyValue("deletionTime", Instant.ofEpochMilli(deletionTime)).log("marked block for deletion");
    }

    private void applyRetention(TenantBlocks t, long nowMs) {
        Duration retention = limits.forTenant(t.tenant).retentionPeriodDuration();
        if (retention.isZero() || retention.isNegative()) {
            return;
        }
        long cutoff = nowMs - retention.toMillis();
        for (BlockMeta b : t.queryable()) {
            if (b.maxTimeMs() < cutoff) {
                mark(t, b.id(), nowMs, markedByRetention, "retention");
            }
        }
    }

    /**
     * Merges until nothing is due: merging the small ranges makes their enclosing range due. Each
     * merge leaves fewer blocks, so this ends; after a failed merge the rest waits for the next run.
     */
    private void mergeDueRanges(TenantBlocks t, long nowMs) {
        List<CompactionPlanner.Group> groups;
        while (!(groups = planner.plan(t.queryable(), nowMs)).isEmpty()) {
            for (CompactionPlanner.Group g : groups) {
                if (stopping() || !compact(t, g, nowMs)) {
                    return;
                }
            }
        }
    }

    /** Merges one group, uploads the result and records it in the index; false when that failed. */
    private boolean compact(TenantBlocks t, CompactionPlanner.Group g, long nowMs) {
        String id = Ulid.generate();
        Path dir = scratch.resolve(id);
        long bytes = 0;
        List<String> inputIds = new ArrayList<>();
        for (BlockMeta b : g.blocks()) {
            bytes += b.files().stream().mapToLong(BlockMeta.FileInfo::sizeBytes).sum();
            inputIds.add(b.id());
        }
        long start = System.nanoTime();
        try {
            List<ParquetBlock> inputs = g.blocks().stream().map(b -> ParquetBlock.open(store, b)).toList();
            BlockMeta out = BlockMerger.merge(inputs, dir, id, BlockWriterConfig.DEFAULTS, true);
            BlockUploader.upload(store, dir);
            long nanos = System.nanoTime() - start;
            compactionDuration.record(Duration.ofNanos(nanos));
            compactions.increment();
            inputBytes.increment(bytes);
            long outBytes = out.files().stream().mapToLong(BlockMeta.FileInfo::sizeBytes).sum();
            log.atInfo().addKeyValue("tenant", t.tenant).addKeyValue("block", id).addKeyValue("level", out.compaction().level())
                    .addKeyValue("range", g.range()).addKeyValue("rangeStart", Instant.ofEpochMilli(g.startMs()))
                    .addKeyValue("inputs", inputIds).addKeyValue("profiles", out.stats().numProfiles())
                    .addKeyValue("inputBytes", bytes).addKeyValue("outputBytes", outBytes)
                    .addKeyValue("durationMs", nanos / 1_000_000).addKeyValue("inputMBps", String.format("%.1f", bytes / 1e6 / (nanos / 1e9)))
                    .log("compacted blocks");
            t.add(out);
            publish(t, nowMs, false);
            return true;
        } catch (IOException | RuntimeException e) {
            compactionFailures.increment();
            log.atError().addKeyValue("tenant", t.tenant).addKeyValue("inputs", inputIds).addKeyValue("err", String.valueOf(e.getMessage()))
                    .log("compaction failed; will retry");
            return false;
        } finally {
            deleteScratch(dir);
        }
    }

    private static void deleteScratch(Path dir) {
        try {
            if (Files.exists(dir)) {
                MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
            }
        } catch (IOException e) {
            log.atWarn().addKeyValue("dir", dir).addKeyValue("err", e.getMessage()).log("cannot delete merge scratch directory");
        }
    }

    private void deleteDue(TenantBlocks t, long nowMs) {
        long delay = config.deletionDelay().toMillis();
        t.marks().forEach((id, deletionTime) -> {
            if (deletionTime + delay <= nowMs) {
                String prefix = BlockUploader.prefix(t.tenant, id);
                // meta.json first: an interrupted delete leaves an incomplete block no reader opens.
                store.delete(prefix + META);
                store.deletePrefix(prefix);
                t.remove(id);
                blocksDeleted.increment();
                log.atInfo().addKeyValue("tenant", t.tenant).addKeyValue("block", id)
                        .addKeyValue("markedAt", Instant.ofEpochMilli(deletionTime)).log("deleted block");
            }
        });
    }
}
