package dev.kiln.common.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.query.TimeRange;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RollupPlanTest {
    static final long HOUR = 3_600_000L;
    static final long DAY = 24 * HOUR;
    static final List<Long> WINDOWS = List.of(HOUR, DAY);
    /** A UTC midnight. */
    static final long D = Instant.parse("2026-03-02T00:00:00Z").toEpochMilli();

    @Test
    void aDayBlockInsideTheRangeIsReadFromItsDayWindowAlone() {
        // profiles from 00:00:05 to 23:59:50 of day D, the query from the day before to the day after
        RollupPlan p = RollupPlan.of(new TimeRange(D - DAY + 123, D + 2 * DAY - 77), D + 5000, D + DAY - 10_000, WINDOWS, 2);
        assertEquals(List.of(), p.raw());
        assertEquals(List.of(new RollupPlan.Windows(1, D + DAY, D + DAY)), p.windows());
    }

    @Test
    void theEdgesOfARangeUseHoursAndRawProfiles() {
        // a 3-day block; the query starts at 10:20 on day 0 and ends at 05:10 on day 2
        long start = D + 10 * HOUR + 20 * 60_000;
        long end = D + 2 * DAY + 5 * HOUR + 10 * 60_000;
        RollupPlan p = RollupPlan.of(new TimeRange(start, end), D, D + 3 * DAY - 1, WINDOWS, 2);
        assertEquals(List.of(new TimeRange(start, D + 11 * HOUR), new TimeRange(D + 2 * DAY + 5 * HOUR + 1, end)), p.raw());
        assertEquals(List.of(
                new RollupPlan.Windows(0, D + 12 * HOUR, D + DAY),              // 11:00 to 24:00 of day 0, by the hour
                new RollupPlan.Windows(0, D + 2 * DAY + HOUR, D + 2 * DAY + 5 * HOUR),  // 00:00 to 05:00 of day 2
                new RollupPlan.Windows(1, D + 2 * DAY, D + 2 * DAY)), p.windows());    // day 1 whole
    }

    @Test
    void withHoursOnlyTheMiddleIsReadByTheHour() {
        long start = D + 10 * HOUR + 20 * 60_000;
        long end = D + 2 * DAY + 5 * HOUR + 10 * 60_000;
        RollupPlan p = RollupPlan.of(new TimeRange(start, end), D, D + 3 * DAY - 1, WINDOWS, 1);
        assertEquals(List.of(new RollupPlan.Windows(0, D + 12 * HOUR, D + 2 * DAY + 5 * HOUR)), p.windows());
    }

    @Test
    void noPlanWithoutAWholeWindowInTheRangeOrWithoutUsableWindows() {
        assertNull(RollupPlan.of(new TimeRange(D + 10 * 60_000, D + 70 * 60_000), D, D + DAY - 1, WINDOWS, 2));
        assertNull(RollupPlan.of(TimeRange.ALL, D, D + DAY - 1, WINDOWS, 0));
    }

    /**
     * With small windows (10 and 40 ms) and every range over blocks of up to 200 ms: each
     * millisecond of the block inside the range is covered exactly once, by a raw range or a
     * window, and none outside the range is covered.
     */
    @Test
    void everyProfileInTheRangeIsCoveredExactlyOnce() {
        List<Long> windows = List.of(10L, 40L, 120L);
        Random rnd = new Random(3);
        int planned = 0;
        for (int trial = 0; trial < 4000; trial++) {
            long blockMin = rnd.nextInt(200) - 20;
            long blockMax = blockMin + rnd.nextInt(200);
            long start = rnd.nextInt(10) == 0 ? Long.MIN_VALUE : blockMin - 30 + rnd.nextInt(260);
            long end = rnd.nextInt(10) == 0 ? Long.MAX_VALUE : Math.max(start, blockMin - 30) + rnd.nextInt(260);
            int levels = rnd.nextInt(windows.size() + 1);
            TimeRange query = new TimeRange(start, end);
            RollupPlan p = RollupPlan.of(query, blockMin, blockMax, windows, levels);
            if (p == null) {
                continue;
            }
            planned++;
            for (long t = blockMin; t <= blockMax; t++) {
                int covered = 0;
                for (TimeRange r : p.raw()) {
                    covered += r.startMs() <= t && t <= r.endMs() ? 1 : 0;
                }
                for (RollupPlan.Windows w : p.windows()) {
                    long length = windows.get(w.level());
                    long e = BlockLayout.rollupWindowEnd(t, length);
                    covered += w.level() < levels && e >= w.firstEndMs() && e <= w.lastEndMs() ? 1 : 0;
                }
                assertEquals(t >= start && t <= end ? 1 : 0, covered, "t=" + t + " in " + query + " over [" + blockMin + ", "
                        + blockMax + "] with " + levels + " levels: " + p);
            }
        }
        assertTrue(planned > 2000, planned + " of 4000 ranges were planned");
    }
}
