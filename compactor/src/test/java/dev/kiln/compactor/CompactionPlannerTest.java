package dev.kiln.compactor;

import static dev.kiln.compactor.CompactorTest.HOUR;
import static dev.kiln.compactor.CompactorTest.MINUTE;
import static dev.kiln.compactor.CompactorTest.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.common.block.BlockMeta;
import dev.kiln.common.model.Ulid;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompactionPlannerTest {
    private final CompactionPlanner planner = new CompactionPlanner(
            List.of(Duration.ofHours(1), Duration.ofHours(4), Duration.ofHours(24)), Duration.ofMinutes(15));

    private static BlockMeta block(long minTimeMs, long maxTimeMs) {
        String id = Ulid.generate();
        return new BlockMeta(1, id, "t", minTimeMs, maxTimeMs, new BlockMeta.Stats(1, 1, 1),
                new BlockMeta.Compaction(1, List.of(id), List.of()), List.of(), List.of());
    }

    /** The blocks of each planned group, as (range start, range length in hours, block count). */
    private List<List<Long>> plan(List<BlockMeta> blocks, long nowMs) {
        List<List<Long>> out = new ArrayList<>();
        for (CompactionPlanner.Group g : planner.plan(blocks, nowMs)) {
            out.add(List.of(g.startMs(), g.range().toHours(), (long) g.blocks().size()));
        }
        return out;
    }

    @Test
    void mergesReplicaBlocksOfAnHourOnceItsWaitHasPassed() {
        List<BlockMeta> replicas = List.of(block(T0 + MINUTE, T0 + 59 * MINUTE), block(T0, T0 + 58 * MINUTE),
                block(T0 + 2 * MINUTE, T0 + 59 * MINUTE));
        assertEquals(List.of(), plan(replicas, T0 + HOUR + 14 * MINUTE));
        assertEquals(List.of(List.of(T0, 1L, 3L)), plan(replicas, T0 + HOUR + 15 * MINUTE));
    }

    @Test
    void aLoneBlockIsNotRewritten() {
        assertEquals(List.of(), plan(List.of(block(T0, T0 + HOUR - 1)), T0 + 30 * HOUR));
    }

    @Test
    void smallerRangesAreMergedFirst() {
        List<BlockMeta> replicas = new ArrayList<>();
        for (int h = 0; h < 4; h++) {
            for (int r = 0; r < 3; r++) {
                replicas.add(block(T0 + h * HOUR + r * MINUTE, T0 + h * HOUR + 50 * MINUTE));
            }
        }
        // The 4h range is due too, but each of its hours still has three blocks.
        assertEquals(List.of(List.of(T0, 1L, 3L), List.of(T0 + HOUR, 1L, 3L), List.of(T0 + 2 * HOUR, 1L, 3L),
                List.of(T0 + 3 * HOUR, 1L, 3L)), plan(replicas, T0 + 4 * HOUR + 15 * MINUTE));

        List<BlockMeta> hours = new ArrayList<>();
        for (int h = 0; h < 24; h++) {
            hours.add(block(T0 + h * HOUR, T0 + h * HOUR + 50 * MINUTE));
        }
        assertEquals(List.of(List.of(T0, 4L, 4L), List.of(T0 + 4 * HOUR, 4L, 4L), List.of(T0 + 8 * HOUR, 4L, 4L),
                List.of(T0 + 12 * HOUR, 4L, 4L), List.of(T0 + 16 * HOUR, 4L, 4L), List.of(T0 + 20 * HOUR, 4L, 4L)),
                plan(hours, T0 + 24 * HOUR + 15 * MINUTE));

        List<BlockMeta> fourHours = new ArrayList<>();
        for (int q = 0; q < 6; q++) {
            fourHours.add(block(T0 + q * 4 * HOUR, T0 + q * 4 * HOUR + 3 * HOUR));
        }
        assertEquals(List.of(List.of(T0, 24L, 6L)), plan(fourHours, T0 + 24 * HOUR + 15 * MINUTE));
    }

    @Test
    void aRangeIsDueOnlyAfterItsWaitPeriod() {
        List<BlockMeta> blocks = List.of(block(T0, T0 + HOUR), block(T0 + 2 * HOUR, T0 + 3 * HOUR));
        assertEquals(List.of(), plan(blocks, T0 + 4 * HOUR + 14 * MINUTE));
        assertEquals(List.of(List.of(T0, 4L, 2L)), plan(blocks, T0 + 4 * HOUR + 15 * MINUTE));
    }

    @Test
    void aBlockCrossingARangeBoundaryWaitsForTheNextRange() {
        BlockMeta crossing = block(T0 + 3 * HOUR + 30 * MINUTE, T0 + 4 * HOUR + 30 * MINUTE);
        BlockMeta before = block(T0 + 3 * HOUR, T0 + 3 * HOUR + 10 * MINUTE);
        BlockMeta after = block(T0 + 4 * HOUR, T0 + 4 * HOUR + 10 * MINUTE);
        assertEquals(List.of(), plan(List.of(crossing, before, after), T0 + 23 * HOUR));
        assertEquals(List.of(List.of(T0, 24L, 3L)), plan(List.of(crossing, before, after), T0 + 24 * HOUR + 15 * MINUTE));
    }

    @Test
    void aBlockWiderThanTheLargestRangeIsLeftAsItIs() {
        BlockMeta wide = block(T0, T0 + 30 * HOUR);
        BlockMeta inside = block(T0 + HOUR, T0 + 2 * HOUR);
        assertEquals(List.of(), plan(List.of(wide, inside), T0 + 100 * HOUR));
    }

    @Test
    void rangesBeforeTheEpochAlignToo() {
        long start = -4 * HOUR;
        List<BlockMeta> blocks = List.of(block(start + MINUTE, start + 2 * MINUTE), block(start + 3 * HOUR, start + 3 * HOUR + 1));
        assertEquals(List.of(List.of(start, 4L, 2L)), plan(blocks, 15 * MINUTE));
    }
}
