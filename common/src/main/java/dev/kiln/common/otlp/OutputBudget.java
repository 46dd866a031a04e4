package dev.kiln.common.otlp;

/**
 * Counts what the conversion of one request has produced, so that dictionary sharing cannot
 * turn a small request into an unbounded pprof (one stack referenced by a million samples, one
 * resource with many attributes shared by many profiles).
 */
final class OutputBudget {

    private final long limit;
    private long used;

    OutputBudget(long limit) {
        this.limit = limit;
    }

    void charge(long references) {
        used += references;
        if (used > limit) {
            throw new IllegalArgumentException("request converts to more than " + limit
                    + " stack frame references and labels (otlp.max_output_references)");
        }
    }
}
