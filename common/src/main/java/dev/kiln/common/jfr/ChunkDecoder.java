package dev.kiln.common.jfr;

import dev.kiln.common.symbols.LongIntHashMap;

import java.util.Arrays;
import java.util.Locale;

/**
 * Walks the events of one chunk and adds the samples they describe to the profile accumulators,
 * following grafana/jfr-parser ({@code pprof/parser.go}) for which event feeds which profile.
 * Event bodies are read through {@link RecordLayout}s built from the chunk's metadata; events of
 * other types are skipped by their size without decoding.
 */
final class ChunkDecoder {
    private static final int STACK = 0;
    private static final int STATE = 1;
    private static final int CONTEXT_ID = 2;
    private static final int SPAN_ID = 3;
    private static final int SPAN_NAME = 4;
    private static final int TRACE_ID_HIGH = 5;
    private static final int TRACE_ID_LOW = 6;
    private static final int VALUE = 7;
    private static final int SLOT_COUNT = 8;
    private static final long NO_STATE = Long.MIN_VALUE;

    private static final int SETTING_ID = 0;
    private static final int SETTING_NAME = 1;
    private static final int SETTING_VALUE = 2;

    private static final int STATE_OTHER = 0;
    private static final int STATE_SLEEPING = 1;
    private static final int STATE_RUNNABLE = 2;

    /** Which profiles an event type feeds, and the field holding its weight. */
    private enum Role {
        EXECUTION_SAMPLE("jdk.ExecutionSample", null),
        WALL_CLOCK_SAMPLE("profiler.WallClockSample", "samples"),
        ALLOCATION_IN_NEW_TLAB("jdk.ObjectAllocationInNewTLAB", "tlabSize"),
        ALLOCATION_OUTSIDE_TLAB("jdk.ObjectAllocationOutsideTLAB", "allocationSize"),
        ALLOCATION_SAMPLE("jdk.ObjectAllocationSample", "weight"),
        MONITOR_ENTER("jdk.JavaMonitorEnter", "duration"),
        THREAD_PARK("jdk.ThreadPark", "duration"),
        LIVE_OBJECT("profiler.LiveObject", null),
        MALLOC("profiler.Malloc", "size");

        final String eventType;
        final String valueField;

        Role(String eventType, String valueField) {
            this.eventType = eventType;
            this.valueField = valueField;
        }
    }

    private record Handler(Role role, RecordLayout layout, double nanosPerValueUnit) { }

    /** Settings a recording carries as jdk.ActiveSetting events, kept across chunks. */
    static final class Settings {
        /** async-profiler's {@code event} option (cpu, itimer, wall, ...), or null. */
        String event;
        long cpuPeriodNanos;
        long wallPeriodNanos;
    }

    private final ChunkHeader header;
    private final JfrInput in;
    private final ConstantPools pools;
    private final JfrMetadata metadata;
    private final SampleLabels labels;
    private final ProfileAccumulator[] accumulators;
    private final LongIntHashMap handlerIndex = new LongIntHashMap(16);
    private final Handler[] handlers;
    private final LongIntHashMap threadStates = new LongIntHashMap(16);
    private final long[] slots = new long[SLOT_COUNT];
    /** Start of the event {@link #advance()} reads next, and the type of the one it read last. */
    private int nextEvent;
    private long eventType;

    /**
     * @param accumulators one per {@link JfrProfileKind}, indexed by ordinal
     */
    ChunkDecoder(ChunkHeader header, JfrInput in, JfrMetadata metadata, ConstantPools pools, SampleLabels labels,
                 ProfileAccumulator[] accumulators) {
        this.header = header;
        this.in = in;
        this.metadata = metadata;
        this.pools = pools;
        this.labels = labels;
        this.accumulators = accumulators;
        this.handlers = new Handler[Role.values().length];
        for (Role role : Role.values()) {
            JfrMetadata.Type type = metadata.type(role.eventType);
            if (type == null) {
                continue;
            }
            RecordLayout.Builder layout = RecordLayout.of(type)
                    .reference("stackTrace", "jdk.types.StackTrace", STACK)
                    .reference("state", "jdk.types.ThreadState", STATE)
                    .number("contextId", CONTEXT_ID)
                    .number("spanId", SPAN_ID)
                    .number("spanName", SPAN_NAME)
                    .number("traceIdHi", TRACE_ID_HIGH)
                    .number("traceIdLo", TRACE_ID_LOW);
            if (role.valueField != null) {
                layout.number(role.valueField, VALUE);
            }
            RecordLayout built = layout.build();
            JfrMetadata.Field valueField = built.boundField(VALUE);
            double scale = valueField == null || !role.valueField.equals("duration")
                    ? 1 : nanosPerUnit(valueField.timespanUnit);
            handlers[role.ordinal()] = new Handler(role, built, scale);
            handlerIndex.put(type.id, role.ordinal());
        }
    }

    /** Reads this chunk's jdk.ActiveSetting events into {@code settings}. */
    void readSettings(Settings settings) {
        JfrMetadata.Type type = metadata.type("jdk.ActiveSetting");
        if (type == null) {
            return;
        }
        RecordLayout layout = RecordLayout.of(type)
                .number("id", SETTING_ID)
                .stringPosition("name", SETTING_NAME)
                .stringPosition("value", SETTING_VALUE)
                .build();
        long executionSample = typeId("jdk.ExecutionSample");
        long wallClockSample = typeId("profiler.WallClockSample");
        long cpuPeriod = Long.MAX_VALUE;
        long wallPeriod = Long.MAX_VALUE;
        long[] setting = new long[3];
        rewind();
        while (advance()) {
            if (eventType != type.id) {
                continue;
            }
            Arrays.fill(setting, -1);
            layout.read(in, setting, false);
            String name = pools.decodeString(setting[SETTING_NAME]);
            String value = pools.decodeString(setting[SETTING_VALUE]);
            if (name == null || value == null) {
                continue;
            }
            if (name.equals("event")) {
                settings.event = value;
            } else if (name.equals("interval") || name.equals("period")) {
                long period = parsePeriod(value);
                // With several recordings on one JVM the JDK samples at the shortest period.
                if (period > 0 && setting[SETTING_ID] == executionSample) {
                    cpuPeriod = Math.min(cpuPeriod, period);
                } else if (period > 0 && setting[SETTING_ID] == wallClockSample) {
                    wallPeriod = Math.min(wallPeriod, period);
                }
            }
        }
        if (cpuPeriod != Long.MAX_VALUE) {
            settings.cpuPeriodNanos = cpuPeriod;
        }
        if (wallPeriod != Long.MAX_VALUE) {
            settings.wallPeriodNanos = wallPeriod;
        }
    }

    /** Adds every sample event of the chunk to the accumulators. */
    void readSamples(Settings settings, long defaultPeriodNanos) {
        long cpuPeriod = settings.cpuPeriodNanos > 0 ? settings.cpuPeriodNanos : defaultPeriodNanos;
        // async-profiler's wall mode puts its interval on jdk.ExecutionSample's settings.
        long wallPeriod = settings.wallPeriodNanos > 0 ? settings.wallPeriodNanos : cpuPeriod;
        boolean wallMode = "wall".equals(settings.event);
        accumulators[JfrProfileKind.CPU.ordinal()].period(cpuPeriod);
        accumulators[JfrProfileKind.WALL.ordinal()].period(wallPeriod);
        rewind();
        while (advance()) {
            int index = handlerIndex.get(eventType);
            if (index == LongIntHashMap.ABSENT) {
                continue;
            }
            Handler handler = handlers[index];
            Arrays.fill(slots, 0);
            slots[STATE] = NO_STATE;
            slots[VALUE] = handler.role == Role.WALL_CLOCK_SAMPLE ? 1 : 0;
            handler.layout.read(in, slots, false);
            long stack = slots[STACK];
            int labelSet = labels.labelSet(slots[CONTEXT_ID], slots[SPAN_ID], slots[SPAN_NAME],
                    slots[TRACE_ID_HIGH], slots[TRACE_ID_LOW]);
            long value = slots[VALUE];
            switch (handler.role) {
                case EXECUTION_SAMPLE -> {
                    if (threadState(slots[STATE]) != STATE_SLEEPING) {
                        add(JfrProfileKind.CPU, stack, labelSet, cpuPeriod, 0);
                    }
                    if (wallMode) {
                        add(JfrProfileKind.WALL, stack, labelSet, wallPeriod, 0);
                    }
                }
                case WALL_CLOCK_SAMPLE -> {
                    if (wallMode && threadState(slots[STATE]) == STATE_RUNNABLE) {
                        add(JfrProfileKind.CPU, stack, labelSet, saturatedProduct(value, cpuPeriod), 0);
                    }
                    add(JfrProfileKind.WALL, stack, labelSet, saturatedProduct(value, wallPeriod), 0);
                }
                case ALLOCATION_IN_NEW_TLAB -> add(JfrProfileKind.ALLOC_IN_NEW_TLAB, stack, labelSet, 1, value);
                case ALLOCATION_OUTSIDE_TLAB -> add(JfrProfileKind.ALLOC_OUTSIDE_TLAB, stack, labelSet, 1, value);
                case ALLOCATION_SAMPLE -> add(JfrProfileKind.ALLOC_SAMPLE, stack, labelSet, 1, value);
                case MONITOR_ENTER -> add(JfrProfileKind.LOCK, stack, labelSet, 1, nanos(value, handler));
                case THREAD_PARK -> add(JfrProfileKind.THREAD_PARK, stack, labelSet, 1, nanos(value, handler));
                case LIVE_OBJECT -> add(JfrProfileKind.LIVE_OBJECTS, stack, labelSet, 1, 0);
                case MALLOC -> add(JfrProfileKind.MALLOC, stack, labelSet, 1, value);
            }
        }
    }

    private void add(JfrProfileKind kind, long stack, int labelSet, long value0, long value1) {
        accumulators[kind.ordinal()].add(stack, labelSet, value0, value1);
    }

    private long typeId(String name) {
        JfrMetadata.Type type = metadata.type(name);
        return type == null ? Long.MIN_VALUE : type.id;
    }

    private int threadState(long stateId) {
        if (stateId == NO_STATE) {
            return STATE_OTHER;
        }
        int state = threadStates.get(stateId);
        if (state == LongIntHashMap.ABSENT) {
            String name = pools.threadState(stateId);
            state = "STATE_SLEEPING".equals(name) ? STATE_SLEEPING
                    : "STATE_RUNNABLE".equals(name) ? STATE_RUNNABLE : STATE_OTHER;
            threadStates.put(stateId, state);
        }
        return state;
    }

    private long nanos(long value, Handler handler) {
        return handler.nanosPerValueUnit == 1 ? value : Math.round(value * handler.nanosPerValueUnit);
    }

    private static long saturatedProduct(long count, long period) {
        return count <= 0 ? 0 : count > Long.MAX_VALUE / period ? Long.MAX_VALUE : count * period;
    }

    /**
     * Nanoseconds per unit of a {@code jdk.jfr.Timespan} field. JFR's event durations are in ticks
     * when unannotated; Pyroscope passes ticks through unconverted, which equals nanoseconds
     * whenever the recording runs at 10^9 ticks per second (the JDK and async-profiler defaults
     * on Linux).
     */
    private double nanosPerUnit(String unit) {
        if (unit == null) {
            unit = "TICKS";
        }
        return switch (unit) {
            case "NANOSECONDS" -> 1;
            case "MICROSECONDS" -> 1e3;
            case "MILLISECONDS" -> 1e6;
            case "SECONDS" -> 1e9;
            default -> 1e9 / header.ticksPerSecond();
        };
    }

    /**
     * Parses a sampling period: async-profiler writes plain nanoseconds ("10000000"), the JDK a
     * number and unit ("20 ms"). Returns 0 for anything else (e.g. "everyChunk").
     */
    static long parsePeriod(String value) {
        String s = value.trim().toLowerCase(Locale.ROOT);
        int digits = 0;
        while (digits < s.length() && Character.isDigit(s.charAt(digits))) {
            digits++;
        }
        if (digits == 0 || digits > 15) {
            return 0;
        }
        long number = Long.parseLong(s.substring(0, digits));
        long nanosPerUnit = switch (s.substring(digits).trim()) {
            case "", "ns" -> 1;
            case "us" -> 1_000;
            case "ms" -> 1_000_000;
            case "s" -> 1_000_000_000;
            case "m" -> 60_000_000_000L;
            default -> 0;
        };
        return number * nanosPerUnit;
    }

    /** Positions the event iteration at the chunk's first event. */
    private void rewind() {
        nextEvent = header.start() + ChunkHeader.SIZE;
    }

    /**
     * Reads the size and type of the next event and limits the input to its body; false at the
     * chunk end. Metadata and checkpoint events are visited too and simply match no handler.
     */
    private boolean advance() {
        int pos = nextEvent;
        int chunkEnd = header.end();
        if (pos >= chunkEnd) {
            return false;
        }
        in.limit(chunkEnd);
        in.position(pos);
        int size = in.readSize("event size");
        if (size == 0 || size > chunkEnd - pos) {
            throw in.invalid("event size " + size + " does not fit the chunk ending at byte " + chunkEnd);
        }
        nextEvent = pos + size;
        eventType = in.readLong();
        if (in.position() > nextEvent) {
            throw in.invalid("event header longer than its declared size " + size);
        }
        in.limit(nextEvent);
        return true;
    }
}
