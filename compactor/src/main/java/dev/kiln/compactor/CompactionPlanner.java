package dev.kiln.compactor;

import dev.kiln.common.block.BlockMeta;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * Chooses which blocks of a tenant to merge. Time is cut into aligned ranges of each configured
 * size (1h, 4h, 24h by default, aligned to the Unix epoch so a day is a UTC day). A range is due
 * once it has ended and the wait period has passed; the blocks that lie entirely inside a due
 * range are merged into one, if there are at least two. Larger ranges are planned first, so after
 * an outage a whole day is merged at once instead of hour by hour, then 4h by 4h.
 *
 * <p>The smallest range merges what ingesters upload for one block window (the replicas' copies
 * of the same profiles and blocks cut early by size) soon after it ends, so the store-gateway,
 * which serves only data older than {@code querier.query_store_after}, normally sees one
 * deduplicated block per hour. A block uploaded after its range was merged lies in the same range
 * as the merged block and is merged with it on a later run.
 */
final class CompactionPlanner {
    /** Blocks to merge into one, all inside {@code [startMs, startMs + range)}. */
    record Group(long startMs, Duration range, List<BlockMeta> blocks) {}

    private final List<Duration> ranges;
    private final long waitMs;

    CompactionPlanner(List<Duration> ranges, Duration waitPeriod) {
        this.ranges = List.copyOf(ranges);
        this.waitMs = waitPeriod.toMillis();
    }

    /** The merges due at {@code nowMs} among {@code blocks} (which must not be marked for deletion), oldest first. */
    List<Group> plan(List<BlockMeta> blocks, long nowMs) {
        List<Group> groups = new ArrayList<>();
        Set<String> planned = new HashSet<>();
        for (int i = ranges.size() - 1; i >= 0; i--) {
            long range = ranges.get(i).toMillis();
            TreeMap<Long, List<BlockMeta>> byRange = new TreeMap<>();
            for (BlockMeta b : blocks) {
                long start = Math.floorDiv(b.minTimeMs(), range) * range;
                if (!planned.contains(b.id()) && b.maxTimeMs() < start + range) {
                    byRange.computeIfAbsent(start, s -> new ArrayList<>()).add(b);
                }
            }
            for (var e : byRange.entrySet()) {
                long start = e.getKey();
                if (e.getValue().size() >= 2 && nowMs >= start + range + waitMs) {
                    List<BlockMeta> members = new ArrayList<>(e.getValue());
                    members.sort(Comparator.comparing(BlockMeta::id));
                    groups.add(new Group(start, ranges.get(i), List.copyOf(members)));
                    members.forEach(b -> planned.add(b.id()));
                }
            }
        }
        groups.sort(Comparator.comparingLong(Group::startMs).thenComparing(g -> g.range().toMillis()));
        return groups;
    }
}
