package dev.kiln.common.memory;

/**
 * The memory of one growing structure (a call tree, a key set) charged to a query's reservation:
 * the structure reports its estimated size after it grows, and the increase is charged.
 */
public final class TrackedSize {
    private final QueryMemoryBudget.Reservation reservation;
    private long chargedBytes;

    public TrackedSize(QueryMemoryBudget.Reservation reservation) {
        this.reservation = reservation;
    }

    /** The structure now takes about {@code estimateBytes}; throws {@code RESOURCE_EXHAUSTED} when the budget has no room for the growth. */
    public void update(long estimateBytes) {
        if (estimateBytes > chargedBytes) {
            reservation.grow(estimateBytes - chargedBytes);
            chargedBytes = estimateBytes;
        }
    }
}
