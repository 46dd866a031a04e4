package dev.kiln.bench.micro;

/**
 * Cycles through the indexes of a benchmark's inputs, one per call, so that consecutive operations
 * work on different inputs (as ingest and queries do) instead of one that stays in the CPU caches.
 */
final class Cycle {
    private final int size;
    private int next;

    Cycle(int size) {
        this.size = size;
    }

    int next() {
        int i = next;
        next = i + 1 == size ? 0 : i + 1;
        return i;
    }
}
