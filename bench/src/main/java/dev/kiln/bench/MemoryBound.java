package dev.kiln.bench;

import dev.kiln.common.block.BlockCache;
import dev.kiln.common.config.ConfigLoader;
import dev.kiln.server.Kiln;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * The ingester's memory bound: pushes the workload into a fresh all-in-one Kiln whose head may hold
 * only {@code pyroscopedb.max_head_bytes}, while a sampler measures the live heap (a full GC, then
 * {@link MemoryMXBean}) and the head's own size estimate. Early flushes (a push over the limit
 * queues one at once) must keep both near the limit however much is pushed.
 */
final class MemoryBound {
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();
    /** How often the sampler forces a full GC to read the live heap; the head estimate is read 20 times as often. */
    static final long LIVE_HEAP_SAMPLE_MS = 2_000;

    /**
     * @param baselineHeapBytes live heap once the Kiln under test started, before any push (the bench's own data: payloads)
     * @param peakLiveHeapBytes the largest live heap seen while pushing, baseline included
     * @param flushedBlocks     blocks the head was cut into (early flushes), as found in the bucket
     * @param peakBlockCacheBytes the most the block cache held (symbols of flushed blocks, bounded by the head limit here)
     */
    record Result(long headLimitBytes, long baselineHeapBytes, long peakLiveHeapBytes, long peakHeadEstimateBytes,
            long flushedBlocks, long peakBlockCacheBytes, IngestLoad.Result ingest) {}

    private MemoryBound() {}

    static Result run(List<String> kilnFlags, long headLimitBytes, Workload w, int clients, double seconds, Path work)
            throws InterruptedException {
        Path storage = work.resolve("storage");
        List<String> flags = new ArrayList<>(kilnFlags);
        flags.add("-pyroscopedb.data-path=" + work.resolve("data"));
        flags.add("-storage.filesystem.dir=" + storage);
        flags.add("-compactor.data-dir=" + work.resolve("compactor"));
        flags.add("-pyroscopedb.max-head-bytes=" + headLimitBytes);
        // flushed blocks keep their symbols in the block cache (an eighth of the heap by default): as much as the head here
        flags.add("-query.block-cache-bytes=" + headLimitBytes);
        Kiln kiln = new Kiln(new ConfigLoader(Kiln.keys()).load(flags.toArray(String[]::new), k -> null));
        kiln.start();
        try {
            // measured once this Kiln has started: it resized the process's block cache, dropping
            // what the bench's earlier Kilns had cached
            long baseline = liveHeap();
            long[] peaks = new long[3];
            AtomicBoolean stop = new AtomicBoolean();
            Thread sampler = Thread.ofPlatform().name("bench-memory-sampler").daemon().start(() -> {
                long nextLive = System.currentTimeMillis();
                while (!stop.get()) {
                    peaks[1] = Math.max(peaks[1], kiln.ingester().head().sizeBytes());
                    peaks[2] = Math.max(peaks[2], BlockCache.shared().usedBytes());
                    if (System.currentTimeMillis() >= nextLive) {
                        peaks[0] = Math.max(peaks[0], liveHeap());
                        nextLive = System.currentTimeMillis() + LIVE_HEAP_SAMPLE_MS;
                    }
                    try {
                        Thread.sleep(LIVE_HEAP_SAMPLE_MS / 20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            IngestLoad.Result ingest;
            try {
                ingest = IngestLoad.run(new ConnectClient(kiln.server().httpPort()), w, clients, 0, 0, seconds);
            } finally {
                stop.set(true);
                sampler.join();
            }
            peaks[0] = Math.max(peaks[0], liveHeap());
            return new Result(headLimitBytes, baseline, peaks[0], peaks[1], countBlocks(storage), peaks[2], ingest);
        } finally {
            kiln.close();
        }
    }

    /** Heap in use right after a full collection: the live data, garbage excluded. */
    private static long liveHeap() {
        System.gc();
        return MEMORY.getHeapMemoryUsage().getUsed();
    }

    /** Blocks uploaded to a filesystem object store (their meta.json files). */
    static long countBlocks(Path storage) {
        if (!Files.isDirectory(storage)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(storage)) {
            return files.filter(p -> p.getFileName().toString().equals("meta.json")).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
