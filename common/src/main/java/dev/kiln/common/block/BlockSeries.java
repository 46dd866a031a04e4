package dev.kiln.common.block;

import dev.kiln.common.model.Labels;

/**
 * One series and its profiles as handed to a block writer: the first {@code count} entries of
 * each column are valid. Per profile: timestamp (ns), id, samples as parallel arrays of stack-trace
 * id and value (sorted by stack id), optional per-sample span ids (null when none), and the sum of
 * the values.
 */
public record BlockSeries(Labels labels, int count, long[] timeNanos, String[] ids, int[][] stacks, long[][] values,
        long[][] spans, long[] totals) {}
