package dev.kiln.common.jfr;

import java.util.List;

/**
 * The profiles one JFR recording turns into, with the metric name, sample types and period type
 * Pyroscope gives them (grafana/jfr-parser {@code pprof/pprof.go}). Every kind carries the series
 * label {@code __name__ = metricName}.
 *
 * <p>{@link #fallbackJfrEvent} is the {@code jfr_event} label used when the recording has no
 * async-profiler {@code event} setting (plain JDK recordings); it follows async-profiler's own
 * option names for the event that produces the kind.
 */
public enum JfrProfileKind {
    /** jdk.ExecutionSample (not sleeping), and runnable profiler.WallClockSample in wall mode; value = samples × period. */
    CPU("process_cpu", "cpu", ValueTypes.of("cpu", "nanoseconds"), "cpu", "nanoseconds"),
    /** profiler.WallClockSample, and jdk.ExecutionSample in wall mode; value = samples × period. */
    WALL("wall", "wall", ValueTypes.of("wall", "nanoseconds"), "wall", "nanoseconds"),
    /** jdk.ObjectAllocationInNewTLAB; values = 1 and the TLAB size. */
    ALLOC_IN_NEW_TLAB("memory", "alloc",
            ValueTypes.of("alloc_in_new_tlab_objects", "count", "alloc_in_new_tlab_bytes", "bytes"), "space", "bytes"),
    /** jdk.ObjectAllocationOutsideTLAB; values = 1 and the allocation size. */
    ALLOC_OUTSIDE_TLAB("memory", "alloc",
            ValueTypes.of("alloc_outside_tlab_objects", "count", "alloc_outside_tlab_bytes", "bytes"), "space", "bytes"),
    /** jdk.ObjectAllocationSample; values = 1 and the sample weight. */
    ALLOC_SAMPLE("memory", "alloc",
            ValueTypes.of("alloc_sample_objects", "count", "alloc_sample_bytes", "bytes"), "space", "bytes"),
    /** profiler.LiveObject; value = 1. */
    LIVE_OBJECTS("memory", "alloc", ValueTypes.of("live", "count"), "objects", "count"),
    /** jdk.JavaMonitorEnter; values = 1 and the wait in nanoseconds. */
    LOCK("mutex", "lock", ValueTypes.of("contentions", "count", "delay", "nanoseconds"), "mutex", "count"),
    /** jdk.ThreadPark; values = 1 and the park time in nanoseconds. */
    THREAD_PARK("block", "lock", ValueTypes.of("contentions", "count", "delay", "nanoseconds"), "block", "count"),
    /** profiler.Malloc; values = 1 and the allocated size. Pyroscope sets no period type for it. */
    MALLOC("memory", "nativemem", ValueTypes.of("malloc_objects", "count", "malloc_bytes", "bytes"), null, null);

    private final String metricName;
    private final String fallbackJfrEvent;
    private final List<ValueTypes.ValueType> sampleTypes;
    private final String periodType;
    private final String periodUnit;

    JfrProfileKind(String metricName, String fallbackJfrEvent, List<ValueTypes.ValueType> sampleTypes,
                   String periodType, String periodUnit) {
        this.metricName = metricName;
        this.fallbackJfrEvent = fallbackJfrEvent;
        this.sampleTypes = sampleTypes;
        this.periodType = periodType;
        this.periodUnit = periodUnit;
    }

    /** The {@code __name__} series label. */
    public String metricName() {
        return metricName;
    }

    /** The {@code jfr_event} label for recordings without an async-profiler {@code event} setting. */
    public String fallbackJfrEvent() {
        return fallbackJfrEvent;
    }

    List<ValueTypes.ValueType> sampleTypes() {
        return sampleTypes;
    }

    /** Period type name, or null when the kind has none. */
    String periodType() {
        return periodType;
    }

    String periodUnit() {
        return periodUnit;
    }
}
