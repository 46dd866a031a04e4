package dev.kiln.ingester.head;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.block.BlockSeries;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.model.Labels;
import dev.kiln.common.testing.PprofBuilder;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CumulativeDeltasTest {
    static final long T0 = 1_700_000_000_000_000_000L;
    final AtomicLong clock = new AtomicLong(1_000_000);
    final CumulativeDeltas deltas = new CumulativeDeltas(clock::get);
    final HeadBlock block = new HeadBlock("b1", "t1", 0, Long.MAX_VALUE, deltas);

    /** A Go heap profile: alloc_objects, alloc_space (cumulative), inuse_objects, inuse_space (gauges). */
    static byte[] heap(long t, long allocA, long allocB, long inuseA) {
        PprofBuilder b = new PprofBuilder().sampleType("alloc_objects", "count").sampleType("alloc_space", "bytes")
                .sampleType("inuse_objects", "count").sampleType("inuse_space", "bytes")
                .periodType("space", "bytes").period(512 * 1024).timeNanos(t);
        b.stack(new long[] {allocA, allocA * 100, inuseA, inuseA * 100}, "main", "a");
        if (allocB > 0) {
            b.stack(new long[] {allocB, allocB * 100, 0, 0}, "main", "b");
        }
        return b.bytes();
    }

    void push(Labels labels, byte[] pprof, long t) {
        block.append(DecodedProfile.decode(labels, pprof, "id-" + t, t, Map.of(), Limits.DEFAULTS));
    }

    static Labels memory(String... extra) {
        Labels.Builder b = Labels.builder().set("__name__", "memory").set("service_name", "app");
        for (int i = 0; i < extra.length; i += 2) {
            b.set(extra[i], extra[i + 1]);
        }
        return b.build();
    }

    /** Per stored profile with this sample type (any series): time offset from T0 -> total value. */
    Map<Long, Long> totalsByTime(String type) {
        Map<Long, Long> out = new TreeMap<>();
        for (BlockSeries s : block.snapshot()) {
            if (type.equals(s.labels().get("__type__"))) {
                for (int i = 0; i < s.count(); i++) {
                    out.put(s.timeNanos()[i] - T0, s.totals()[i]);
                }
            }
        }
        return out;
    }

    @Test
    void secondPushStoresTheGrowthNotTheRunningTotal() {
        push(memory(), heap(T0, 10, 5, 7), T0);
        push(memory(), heap(T0 + 1, 25, 5, 3), T0 + 1);
        push(memory(), heap(T0 + 2, 30, 9, 3), T0 + 2);

        // The first profile only sets the base; then 15 + 0, then 5 + 4.
        assertEquals(Map.of(1L, 15L, 2L, 9L), totalsByTime("alloc_objects"));
        assertEquals(Map.of(1L, 1500L, 2L, 900L), totalsByTime("alloc_space"));
        // Gauges are stored as sent.
        assertEquals(Map.of(0L, 7L, 1L, 3L, 2L, 3L), totalsByTime("inuse_objects"));
        assertEquals(2, deltas.seriesCount(), "one state per cumulative sample type");
    }

    @Test
    void aValueGoingDownIsARestartThatRebases() {
        push(memory(), heap(T0, 10, 0, 1), T0);
        push(memory(), heap(T0 + 1, 4, 0, 1), T0 + 1);
        push(memory(), heap(T0 + 2, 6, 0, 1), T0 + 2);

        assertEquals(Map.of(2L, 2L), totalsByTime("alloc_objects"));
    }

    @Test
    void aNewStackCountsInFull() {
        push(memory(), heap(T0, 10, 0, 1), T0);
        push(memory(), heap(T0 + 1, 10, 6, 1), T0 + 1);

        assertEquals(Map.of(1L, 6L), totalsByTime("alloc_objects"));
    }

    @Test
    void clientDeltasAndOtherSeriesAreIndependent() {
        push(memory("__delta__", "false"), heap(T0, 10, 0, 1), T0);
        push(memory("__delta__", "false"), heap(T0 + 1, 10, 0, 1), T0 + 1);
        push(memory("env", "b"), heap(T0 + 2, 3, 0, 1), T0 + 2);
        push(memory("env", "b"), heap(T0 + 3, 4, 0, 1), T0 + 3);

        Map<String, Map<Long, Long>> byEnv = new TreeMap<>();
        for (BlockSeries s : block.snapshot()) {
            if ("alloc_objects".equals(s.labels().get("__type__"))) {
                Map<Long, Long> m = new TreeMap<>();
                for (int i = 0; i < s.count(); i++) {
                    m.put(s.timeNanos()[i] - T0, s.totals()[i]);
                }
                byEnv.put(s.labels().getOrEmpty("env"), m);
            }
        }
        assertEquals(Map.of("", Map.of(0L, 10L, 1L, 10L), "b", Map.of(3L, 1L)), byEnv);
    }

    @Test
    void mutexAndBlockContentionsAreCumulativeGoroutinesAreNot() {
        assertTrue(CumulativeDeltas.isCumulative("mutex", "delay"));
        assertTrue(CumulativeDeltas.isCumulative("block", "contentions"));
        assertTrue(CumulativeDeltas.isCumulative("memory", "alloc_space"));
        assertFalse(CumulativeDeltas.isCumulative("memory", "inuse_space"));
        assertFalse(CumulativeDeltas.isCumulative("goroutine", "goroutine"));
        assertFalse(CumulativeDeltas.isCumulative("process_cpu", "cpu"));
    }

    @Test
    void idleSeriesAreForgottenAndStartOverFromANewBase() {
        push(memory(), heap(T0, 10, 0, 1), T0);
        clock.addAndGet(CumulativeDeltas.IDLE_MILLIS + 60_001);
        push(memory("env", "other"), heap(T0 + 1, 1, 0, 1), T0 + 1); // any push sweeps
        push(memory(), heap(T0 + 2, 12, 0, 1), T0 + 2);
        push(memory(), heap(T0 + 3, 15, 0, 1), T0 + 3);

        // 12 became the new base after the old state was dropped; only 15 - 12 is stored.
        assertEquals(Map.of(3L, 3L), totalsByTime("alloc_objects"));
    }
}
