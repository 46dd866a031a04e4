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
 * range are merged into one, if there are at least two.
 *
 * <p>Smaller ranges go first: a range is merged only when no due range inside it still has
 * blocks to merge (the caller merges, then plans again). So a merge reads at most what the
 * ingesters upload for one block window (replicas and size cuts), or as many blocks as a range
 * holds ranges of the next smaller size (4 and 6 by default). That bounds a merge's memory, which
 * holds every input's symbol table: Pyroscope's compactor slows to a crawl when stack-trace
 * cardinality grows. After an outage this rewrites data once more than merging the largest due
 * range at once would, a price paid only for the backlog.
 *
 * <p>The smallest range merges the replicas' copies of the same profiles soon after the window
 * ends, so the store-gateway, which serves only data older than
 * {@code querier.query_store_after}, normally sees one deduplicated block per hour. A block
 * uploaded after its range was merged lies in the same range as the merged block and is merged
 * with it on a later run.
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

    /**
     * The merges due at {@code nowMs} among {@code blocks} (which must not be marked for deletion),
     * oldest first; disjoint, so they can run in any order.
     */
    List<Group> plan(List<BlockMeta> blocks, long nowMs) {
        List<Group> groups = new ArrayList<>();
        Set<String> planned = new HashSet<>();
        for (Duration size : ranges) {
            long range = size.toMillis();
            TreeMap<Long, List<BlockMeta>> byRange = new TreeMap<>();
            for (BlockMeta b : blocks) {
                long start = Math.floorDiv(b.minTimeMs(), range) * range;
                if (b.maxTimeMs() < start + range) {
                    byRange.computeIfAbsent(start, s -> new ArrayList<>()).add(b);
                }
            }
            for (var e : byRange.entrySet()) {
                long start = e.getKey();
                List<BlockMeta> members = new ArrayList<>(e.getValue());
                boolean innerFirst = members.stream().anyMatch(b -> planned.contains(b.id()));
                if (!innerFirst && members.size() >= 2 && nowMs >= start + range + waitMs) {
                    members.sort(Comparator.comparing(BlockMeta::id));
                    groups.add(new Group(start, size, List.copyOf(members)));
                    members.forEach(b -> planned.add(b.id()));
                }
            }
        }
        groups.sort(Comparator.comparingLong(Group::startMs).thenComparing(g -> g.range().toMillis()));
        return groups;
    }
}
