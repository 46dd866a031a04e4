package dev.kiln.ingester.head;

import dev.kiln.common.model.Ulid;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * All tenants' head blocks. A profile goes to the head block of its tenant and of the time window
 * its timestamp falls in (windows of {@code blockDurationMs}), so late data lands in older windows,
 * as in Pyroscope. Blocks of a tenant opened within a block duration of each other share one
 * symbol table ({@link SharedSymbols}).
 */
public final class Head {
    private final long blockDurationMs;
    private final ConcurrentHashMap<String, ConcurrentSkipListMap<Long, HeadBlock>> tenants = new ConcurrentHashMap<>();
    // Outlives head blocks: a series' running totals span block windows.
    private final CumulativeDeltas deltas = new CumulativeDeltas(System::currentTimeMillis);
    /** Per tenant, the symbol table new head blocks join while it is open. */
    private final ConcurrentHashMap<String, SharedSymbols> openSymbols = new ConcurrentHashMap<>();

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
                : windows.computeIfAbsent(start, s -> new HeadBlock(Ulid.generate(), tenant, s, s + blockDurationMs, deltas, symbolsFor(tenant)));
    }

    /**
     * Installs a head block with a known id (WAL replay: records name the head block they were
     * written for). Returns the existing block of that window if its id matches.
     */
    public HeadBlock blockWithId(String tenant, String id, long windowStartMs) {
        ConcurrentSkipListMap<Long, HeadBlock> windows = tenants.computeIfAbsent(tenant, t -> new ConcurrentSkipListMap<>());
        return windows.compute(windowStartMs, (s, existing) ->
                existing != null && existing.id().equals(id) ? existing
                        : new HeadBlock(id, tenant, s, s + blockDurationMs, deltas, symbolsFor(tenant)));
    }

    /** The tenant's open symbol table, or a new one when it has none or its table is a block duration old. */
    private SharedSymbols symbolsFor(String tenant) {
        long now = System.currentTimeMillis();
        return openSymbols.compute(tenant, (t, open) -> open != null && now - open.openedMs() < blockDurationMs ? open : new SharedSymbols(now));
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

    /**
     * Detaches a head block (it is being flushed to a block that will serve its queries). Its
     * symbol table takes no new blocks, so the table is freed once its last block is flushed.
     */
    public void remove(HeadBlock block) {
        openSymbols.remove(block.tenant(), block.sharedSymbols());
        Map<Long, HeadBlock> windows = tenants.get(block.tenant());
        if (windows != null) {
            windows.remove(block.windowStartMs(), block);
        }
    }

    public long sizeBytes() {
        return sizeBytes(allBlocks());
    }

    /** Heap bytes of {@code blocks}, each shared symbol table counted once. */
    public static long sizeBytes(Collection<HeadBlock> blocks) {
        long sum = 0;
        Set<SharedSymbols> tables = Collections.newSetFromMap(new IdentityHashMap<>());
        for (HeadBlock b : blocks) {
            sum += b.ownBytes();
            if (tables.add(b.sharedSymbols())) {
                sum += b.sharedSymbols().sizeBytes();
            }
        }
        return sum;
    }
}
