package dev.kiln.common.block;

import java.util.Arrays;

/**
 * Sums of values per stack id, drained in ascending stack order: the samples of one rollup window
 * as they are summed over its profiles. An open-addressing map sized by the distinct stacks of the
 * window, not by the block's stack table (which can hold tens of millions of nodes). Not thread-safe.
 */
final class StackSums {
    private static final int EMPTY = -1;

    private int[] keys;
    private long[] sums;
    /** Occupied slots, so that draining and clearing cost the number of stacks, not the capacity. */
    private int[] occupied;
    private int size;
    private int mask;

    StackSums() {
        allocate(1024);
    }

    private void allocate(int capacity) {
        keys = new int[capacity];
        Arrays.fill(keys, EMPTY);
        sums = new long[capacity];
        occupied = new int[capacity / 2 + 1];
        mask = capacity - 1;
        size = 0;
    }

    int size() {
        return size;
    }

    /** Adds samples {@code [0, n)}: {@code values[j]} to stack {@code stacks[j]} (stack ids are non-negative). */
    void add(int[] stacks, long[] values, int n) {
        for (int j = 0; j < n; j++) {
            add(stacks[j], values[j]);
        }
    }

    private void add(int stack, long value) {
        int i = slot(stack);
        if (keys[i] == stack) {
            sums[i] += value;
            return;
        }
        keys[i] = stack;
        sums[i] = value;
        occupied[size++] = i;
        if (size == occupied.length) {
            grow();
        }
    }

    private int slot(int stack) {
        int h = stack * 0x9E3779B9;
        int i = (h ^ (h >>> 16)) & mask;
        while (keys[i] != stack && keys[i] != EMPTY) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private void grow() {
        int[] oldKeys = keys;
        long[] oldSums = sums;
        int[] oldOccupied = occupied;
        int n = size;
        allocate(keys.length * 2);
        for (int k = 0; k < n; k++) {
            int from = oldOccupied[k];
            int i = slot(oldKeys[from]);
            keys[i] = oldKeys[from];
            sums[i] = oldSums[from];
            occupied[size++] = i;
        }
    }

    /** Writes the stacks in ascending order into {@code stacks} and their sums into {@code values} (both of length {@link #size()}), then empties the map. */
    void drainInto(int[] stacks, long[] values) {
        long[] order = new long[size];
        for (int k = 0; k < size; k++) {
            order[k] = ((long) keys[occupied[k]] << 32) | occupied[k];
        }
        Arrays.sort(order);
        for (int k = 0; k < order.length; k++) {
            int i = (int) order[k];
            stacks[k] = keys[i];
            values[k] = sums[i];
            keys[i] = EMPTY;
        }
        size = 0;
    }
}
