package dev.kiln.ingester.flush;

import dev.kiln.common.block.BlockMeta;
import dev.kiln.common.block.BlockSeries;
import dev.kiln.common.block.BlockUploader;
import dev.kiln.common.block.BlockWriter;
import dev.kiln.common.block.BlockWriterConfig;
import dev.kiln.common.objstore.ObjectStore;
import dev.kiln.common.query.QueryableBlock;
import dev.kiln.ingester.head.Head;
import dev.kiln.ingester.head.HeadBlock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cuts head blocks into Parquet blocks: when their time window has ended (plus a grace period for
 * late profiles), when one grows past {@code max_block_bytes}, or when the whole head passes
 * {@code max_head_bytes} (largest first). A block is written locally, served from there at once,
 * uploaded, marked uploaded, and only then released from the write-ahead log. Queries see every
 * profile exactly once throughout: in the head, in a block being flushed, or in a local block.
 */
public final class Flusher {
    private static final Logger log = LoggerFactory.getLogger(Flusher.class);

    /** What the flusher needs from the ingester. */
    public interface Hooks {
        /** Stops pushes from appending to {@code block} (they open a new one). */
        void detach(HeadBlock block);

        /** The block is durable in object storage: its write-ahead log records may go. */
        void flushed(HeadBlock block) throws IOException;
    }

    /**
     * @param flushGrace     how long after its window ends a head block still takes late profiles
     * @param maxBlockBytes  a head block this large is flushed before its window ends (0: no limit)
     * @param maxHeadBytes   while the head is larger, its largest blocks are flushed early (0: no limit)
     * @param localRetention how long flushed blocks stay on local disk to answer queries
     */
    public record Settings(Duration flushGrace, long maxBlockBytes, long maxHeadBytes, Duration localRetention) {}

    private final Settings settings;
    private final Head head;
    private final LocalBlocks local;
    private final ObjectStore store;
    private final Hooks hooks;
    /**
     * One flush run at a time: the periodic check, a check a push asked for (memory limits) and
     * {@link #flushAll} may otherwise pick the same head block and write it twice.
     */
    private final Object flushRun = new Object();
    private final List<HeadBlock> flushing = new ArrayList<>();
    private final List<HeadBlock> failed = new ArrayList<>();
    private final Counter flushedBlocks;
    private final Counter flushFailures;
    private final Timer flushDuration;

    public Flusher(Settings settings, Head head, LocalBlocks local, ObjectStore store, Hooks hooks, MeterRegistry registry) {
        this.settings = settings;
        this.head = head;
        this.local = local;
        this.store = store;
        this.hooks = hooks;
        this.flushedBlocks = Counter.builder("pyroscope.ingester.flushed.blocks").description("Head blocks flushed to object storage.")
                .register(registry);
        this.flushFailures = Counter.builder("pyroscope.ingester.flush.failures")
                .description("Failed flush attempts (retried on the next check).").register(registry);
        this.flushDuration = Timer.builder("pyroscope.ingester.flush.duration").description("Time to write and upload one block.")
                .register(registry);
    }

    /** Every block that may answer a query for {@code tenant}, each profile in exactly one of them. */
    public synchronized List<QueryableBlock> blocks(String tenant) {
        List<QueryableBlock> out = new ArrayList<>(head.blocks(tenant));
        for (HeadBlock b : flushing) {
            if (b.tenant().equals(tenant)) {
                out.add(b);
            }
        }
        out.addAll(local.blocks(tenant));
        return out;
    }

    /** Whether the head is over {@code max_head_bytes} or one of its blocks over {@code max_block_bytes}. */
    public boolean overMemoryLimits() {
        List<HeadBlock> blocks = head.allBlocks();
        long upperBound = 0; // shared symbol tables counted once per block: every push checks, so the exact sum only when needed
        for (HeadBlock b : blocks) {
            long bytes = b.sizeBytes();
            if (settings.maxBlockBytes() > 0 && bytes >= settings.maxBlockBytes()) {
                return true;
            }
            upperBound += bytes;
        }
        return settings.maxHeadBytes() > 0 && upperBound > settings.maxHeadBytes() && Head.sizeBytes(blocks) > settings.maxHeadBytes();
    }

    /** One check: retries failed flushes, flushes due blocks, expires old local blocks. */
    public void flushDue(long nowMs) {
        synchronized (flushRun) {
            flushDueNow(nowMs);
        }
    }

    private void flushDueNow(long nowMs) {
        retryFailed();
        List<HeadBlock> due = new ArrayList<>();
        List<HeadBlock> blocks = head.allBlocks();
        for (HeadBlock b : blocks) {
            if (nowMs >= b.windowEndMs() + settings.flushGrace().toMillis()
                    || (settings.maxBlockBytes() > 0 && b.sizeBytes() >= settings.maxBlockBytes())) {
                due.add(b);
            }
        }
        if (settings.maxHeadBytes() > 0 && Head.sizeBytes(blocks) > settings.maxHeadBytes()) {
            // The largest first, until what stays is under the limit (a shared symbol table is
            // freed with the last of its blocks).
            List<HeadBlock> staying = new ArrayList<>(blocks);
            staying.removeAll(due);
            staying.sort(Comparator.comparingLong(HeadBlock::sizeBytes));
            while (!staying.isEmpty() && Head.sizeBytes(staying) > settings.maxHeadBytes()) {
                due.add(staying.removeLast());
            }
        }
        for (HeadBlock b : due) {
            flush(b);
        }
        int expired = local.expire(nowMs - settings.localRetention().toMillis());
        if (expired > 0) {
            log.atInfo().addKeyValue("blocks", expired).log("deleted local blocks past their retention");
        }
    }

    /** Flushes every head block now (shutdown, tests). */
    public void flushAll() {
        synchronized (flushRun) {
            retryFailed();
            for (HeadBlock b : head.allBlocks()) {
                flush(b);
            }
        }
    }

    private void flush(HeadBlock block) {
        hooks.detach(block);
        synchronized (this) {
            flushing.add(block);
        }
        writeAndUpload(block);
    }

    private void writeAndUpload(HeadBlock block) {
        long start = System.nanoTime();
        try {
            if (block.profileCount() == 0) {
                synchronized (this) {
                    flushing.remove(block);
                }
            } else {
                boolean written;
                synchronized (this) {
                    written = !flushing.contains(block);
                }
                if (!written) {
                    BlockMeta meta = BlockWriter.write(local.dirFor(block.tenant(), block.id()), block.tenant(), block.id(),
                            block.snapshot(), block.symbols(), BlockWriterConfig.DEFAULTS);
                    // One step for queries: the block leaves memory as its local copy appears.
                    synchronized (this) {
                        local.add(block.tenant(), block.id());
                        flushing.remove(block);
                    }
                    log.atInfo().addKeyValue("tenant", block.tenant()).addKeyValue("block", block.id())
                            .addKeyValue("series", meta.stats().numSeries()).addKeyValue("profiles", meta.stats().numProfiles())
                            .log("cut head block");
                }
                BlockUploader.upload(store, local.dirFor(block.tenant(), block.id()));
                local.markUploaded(block.tenant(), block.id());
                flushedBlocks.increment();
            }
            hooks.flushed(block);
            synchronized (this) {
                failed.remove(block);
            }
        } catch (IOException | RuntimeException e) {
            flushFailures.increment();
            log.atError().addKeyValue("tenant", block.tenant()).addKeyValue("block", block.id())
                    .addKeyValue("err", String.valueOf(e.getMessage())).log("flush failed; will retry");
            synchronized (this) {
                if (flushing.contains(block)) {
                    // Not (completely) written: it keeps answering from memory; rewrite from scratch.
                    LocalBlocks.deleteTree(local.dirFor(block.tenant(), block.id()));
                }
                if (!failed.contains(block)) {
                    failed.add(block);
                }
            }
        } finally {
            flushDuration.record(Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private void retryFailed() {
        List<HeadBlock> retry;
        synchronized (this) {
            retry = new ArrayList<>(failed);
        }
        for (HeadBlock b : retry) {
            writeAndUpload(b);
        }
    }
}
