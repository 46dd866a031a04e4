package dev.kiln.ingester.head;

import dev.kiln.common.symbols.SymbolTable;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One symbol table for the head blocks of a tenant that were opened together: a tenant's profiles
 * spread over several time windows at once (a backfill, late data next to current data, WAL
 * replay) then intern their functions and stacks once, into one table that stays in the CPU
 * caches, instead of once per window into tables that evict each other (importing profiles
 * that alternate between 24 windows cost 1.8 times as much as into one table), and the symbols
 * are held once instead of once per window.
 *
 * <p>Each member block writes the whole table when it is flushed (ids stay valid; the extra
 * symbols of the other windows are few, as they are mostly the same functions). A generation
 * stops taking new blocks when it is older than a block duration or once one of its blocks was
 * cut, so its memory is freed when its last block is flushed, and the head size limit counts it
 * once ({@link Head#sizeBytes}).
 */
public final class SharedSymbols {
    private final SymbolTable table = new SymbolTable();
    /** Serializes importing into the table across member blocks (each holds its own lock too). */
    private final ReentrantLock lock = new ReentrantLock();
    private final long openedMs;
    private volatile long sizeBytes = table.sizeBytes();

    public SharedSymbols(long openedMs) {
        this.openedMs = openedMs;
    }

    SymbolTable table() {
        return table;
    }

    ReentrantLock lock() {
        return lock;
    }

    long openedMs() {
        return openedMs;
    }

    /** Heap bytes of the table as of the last import. */
    public long sizeBytes() {
        return sizeBytes;
    }

    /** Called under {@link #lock()} after an import. */
    void updateSize() {
        sizeBytes = table.sizeBytes();
    }
}
