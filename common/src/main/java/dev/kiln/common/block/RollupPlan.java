package dev.kiln.common.block;

import dev.kiln.common.query.TimeRange;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How one block answers a query range from its rollup: whole windows inside the range from rollup
 * rows (the longest windows that fit, shorter ones towards the edges), and the rest, at most one
 * stretch shorter than the shortest window at each end, from raw profiles. Together they cover
 * every profile of the block in the range exactly once.
 *
 * <p>A window may extend beyond the range where the block has no profiles: for a block that
 * starts after the range start, windows may begin before the range, and likewise at the end. So a
 * block entirely inside the range is answered from its longest windows alone.
 *
 * @param raw     ranges to read from profiles.parquet
 * @param windows rollup windows to read, by window length (index into the block's rollup windows) then time
 */
record RollupPlan(List<TimeRange> raw, List<Windows> windows) {
    /**
     * The windows of length {@code windowsMs[level]} ending at {@code firstEndMs}, {@code firstEndMs + length},
     * ..., {@code lastEndMs}.
     */
    record Windows(int level, long firstEndMs, long lastEndMs) {}

    /**
     * Plans a query of {@code query} over a block holding profiles from {@code blockMinMs} to {@code blockMaxMs}.
     *
     * @param windowsMs the block's rollup windows, ascending, each dividing the next
     * @param levels    how many of them (the shortest first) may be used; a time-series query can use
     *                  only windows that fall into single buckets
     * @return null when not one whole window of the shortest length fits: the block then reads raw profiles only
     */
    static RollupPlan of(TimeRange query, long blockMinMs, long blockMaxMs, List<Long> windowsMs, int levels) {
        if (levels == 0) {
            return null;
        }
        long longest = windowsMs.get(windowsMs.size() - 1);
        // Beyond the block's own profiles, windows may stick out of the range: open the ends up to aligned bounds.
        long from = query.startMs() <= blockMinMs ? BlockLayout.rollupWindowEnd(blockMinMs, longest) - longest + 1 : query.startMs();
        long to = query.endMs() >= blockMaxMs ? BlockLayout.rollupWindowEnd(blockMaxMs, longest) : query.endMs();
        long shortest = windowsMs.get(0);
        long firstEnd = BlockLayout.rollupWindowEnd(from + shortest - 1, shortest);
        long lastEnd = Math.floorDiv(to, shortest) * shortest;
        if (firstEnd > lastEnd) {
            return null;
        }
        long coveredFrom = firstEnd - shortest + 1;
        List<TimeRange> raw = new ArrayList<>();
        long rawStart = Math.max(query.startMs(), blockMinMs);
        if (rawStart < coveredFrom) {
            raw.add(new TimeRange(rawStart, coveredFrom - 1));
        }
        long rawEnd = Math.min(query.endMs(), blockMaxMs);
        if (rawEnd > lastEnd) {
            raw.add(new TimeRange(lastEnd + 1, rawEnd));
        }

        // From the longest usable windows down: each length fills what the longer ones leave at the edges.
        List<Windows> windows = new ArrayList<>();
        long longerFrom = 0;
        long longerTo = -1;
        boolean longerUsed = false;
        for (int level = levels - 1; level >= 0; level--) {
            long length = windowsMs.get(level);
            long first = BlockLayout.rollupWindowEnd(coveredFrom + length - 1, length);
            long last = Math.floorDiv(lastEnd, length) * length;
            if (first > last) {
                continue;
            }
            if (!longerUsed) {
                windows.add(new Windows(level, first, last));
            } else {
                if (first < longerFrom) {
                    windows.add(new Windows(level, first, longerFrom - 1));
                }
                if (longerTo + length <= last) {
                    windows.add(new Windows(level, longerTo + length, last));
                }
            }
            longerFrom = first - length + 1;
            longerTo = last;
            longerUsed = true;
        }
        windows.sort(Comparator.comparingInt(Windows::level).thenComparingLong(Windows::firstEndMs));
        return new RollupPlan(List.copyOf(raw), List.copyOf(windows));
    }
}
