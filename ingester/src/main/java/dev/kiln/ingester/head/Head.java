package dev.kiln.ingester.head;

import dev.kiln.common.model.Ulid;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * All tenants' head blocks. A profile goes to the head block of its tenant and of the time window
 * its timestamp falls in (windows of {@code blockDurationMs}), so late data lands in older windows,
 * as in Pyroscope.
 */
public final class Head {
    private final long blockDurationMs;
    private final ConcurrentHashMap<String, ConcurrentSkipListMap<Long, HeadBlock>> tenants = new ConcurrentHashMap<>();
    // Outlives head blocks: a series' running totals span block windows.
    private final CumulativeDeltas deltas = new CumulativeDeltas(System::currentTimeMillis);

    public Head(long blockDurationMs) {
        this.blockDurationMs = blockDurationMs;
    }

    public long blockDurationMs() {
        return blockDurationMs;
    }

    public long windowStart(long tsNanos) {
        long ms = Math.floorDiv(tsNanos, 1_000_000L);
        return Math.floorDiv(ms, blockDurationMs) * blockDurationMs;
    }

    /** The head block for a profile, created when the window has none. */
    public HeadBlock blockFor(String tenant, long tsNanos) {
        long start = windowStart(tsNanos);
        // Lookups first: computeIfAbsent's lambda profile is shared with every other caller, which
        // deoptimized the push path compiled around it (see Ingester.push).
        ConcurrentSkipListMap<Long, HeadBlock> windows = tenants.get(tenant);
        if (windows == null) {
            windows = tenants.computeIfAbsent(tenant, t -> new ConcurrentSkipListMap<>());
        }
        HeadBlock block = windows.get(start);
        return block != null ? block
                : windows.computeIfAbsent(start, s -> new HeadBlock(Ulid.generate(), tenant, s, s + blockDurationMs, deltas));
    }

    /**
     * Installs a head block with a known id (WAL replay: records name the head block they were
     * written for). Returns the existing block of that window if its id matches.
     */
    public HeadBlock blockWithId(String tenant, String id, long windowStartMs) {
        ConcurrentSkipListMap<Long, HeadBlock> windows = tenants.computeIfAbsent(tenant, t -> new ConcurrentSkipListMap<>());
        return windows.compute(windowStartMs, (s, existing) ->
                existing != null && existing.id().equals(id) ? existing : new HeadBlock(id, tenant, s, s + blockDurationMs, deltas));
    }

    public List<HeadBlock> blocks(String tenant) {
        Map<Long, HeadBlock> windows = tenants.get(tenant);
        return windows == null ? List.of() : new ArrayList<>(windows.values());
    }

    public List<HeadBlock> allBlocks() {
        List<HeadBlock> out = new ArrayList<>();
        for (Map<Long, HeadBlock> w : tenants.values()) {
            out.addAll(w.values());
        }
        return out;
    }

    public Collection<String> tenants() {
        return tenants.keySet();
    }

    /** Detaches a head block (after it was flushed to a block that now serves its queries). */
    public void remove(HeadBlock block) {
        Map<Long, HeadBlock> windows = tenants.get(block.tenant());
        if (windows != null) {
            windows.remove(block.windowStartMs(), block);
        }
    }

    public long sizeBytes() {
        long sum = 0;
        for (HeadBlock b : allBlocks()) {
            sum += b.sizeBytes();
        }
        return sum;
    }
}
