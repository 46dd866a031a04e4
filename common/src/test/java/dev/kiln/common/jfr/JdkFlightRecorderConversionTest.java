package dev.kiln.common.jfr;

import dev.kiln.common.testing.JdkFlightRecording;
import dev.kiln.proto.pprof.Function;
import dev.kiln.proto.pprof.Location;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.pprof.Sample;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Converts a real JFR file recorded by the JDK's own Flight Recorder ({@link JdkFlightRecording}). */
class JdkFlightRecorderConversionTest {
    private static final String CLASS = JdkFlightRecording.CLASS_SYMBOL;

    private static long recordingStart;
    private static long recordingEnd;
    private static Map<JfrProfileKind, JfrProfile> profiles;

    @BeforeAll
    static void recordAndConvert() throws Exception {
        JdkFlightRecording.Recorded recorded = JdkFlightRecording.record();
        recordingStart = recorded.startNanos();
        recordingEnd = recorded.endNanos();
        profiles = new HashMap<>();
        for (JfrProfile profile : JfrConverter.convert(recorded.jfr(), null)) {
            profiles.put(profile.kind(), profile);
        }
    }

    @Test
    void producesTheProfileKindsOfTheEnabledEvents() {
        assertTrue(profiles.keySet().containsAll(List.of(JfrProfileKind.CPU, JfrProfileKind.ALLOC_SAMPLE,
                JfrProfileKind.LOCK, JfrProfileKind.THREAD_PARK)), profiles.keySet().toString());
        assertEquals(Map.of("__name__", "process_cpu", "jfr_event", "cpu"), profiles.get(JfrProfileKind.CPU).seriesLabels());
        assertEquals(Map.of("__name__", "memory", "jfr_event", "alloc"),
                profiles.get(JfrProfileKind.ALLOC_SAMPLE).seriesLabels());
        assertEquals(Map.of("__name__", "mutex", "jfr_event", "lock"), profiles.get(JfrProfileKind.LOCK).seriesLabels());
        assertEquals(Map.of("__name__", "block", "jfr_event", "lock"),
                profiles.get(JfrProfileKind.THREAD_PARK).seriesLabels());
        for (JfrProfile profile : profiles.values()) {
            assertWellFormed(profile.profile());
        }
    }

    @Test
    void cpuProfileUsesTheRecordedPeriodAndRanksTheHotMethodFirst() {
        Profile cpu = profiles.get(JfrProfileKind.CPU).profile();
        assertEquals(List.of("cpu", "nanoseconds"), valueType(cpu, 0));
        assertEquals("cpu", cpu.getStringTable((int) cpu.getPeriodType().getType()));
        assertEquals("nanoseconds", cpu.getStringTable((int) cpu.getPeriodType().getUnit()));
        assertEquals(10_000_000L, cpu.getPeriod());
        long total = 0;
        for (Sample sample : cpu.getSampleList()) {
            assertTrue(sample.getValue(0) > 0 && sample.getValue(0) % 10_000_000L == 0, "value " + sample.getValue(0));
            total += sample.getValue(0);
        }
        Map<String, Long> self = selfValues(cpu, 0);
        String hottest = self.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        assertEquals(CLASS + ".spin", hottest);
        assertTrue(self.get(CLASS + ".spin") * 2 > total, "spin should take most cpu: " + self);
        assertTrue(cpu.getTimeNanos() >= recordingStart - 1_000_000_000L && cpu.getTimeNanos() <= recordingEnd,
                "time_nanos " + cpu.getTimeNanos());
        assertTrue(cpu.getDurationNanos() > 0 && cpu.getTimeNanos() + cpu.getDurationNanos() <= recordingEnd + 1_000_000_000L);
    }

    @Test
    void spinFramesCarryLineNumbers() {
        Profile cpu = profiles.get(JfrProfileKind.CPU).profile();
        boolean found = false;
        for (Location location : cpu.getLocationList()) {
            Function function = cpu.getFunction((int) location.getLine(0).getFunctionId() - 1);
            if (cpu.getStringTable((int) function.getName()).equals(CLASS + ".spin")) {
                assertTrue(location.getLine(0).getLine() > 0);
                found = true;
            }
        }
        assertTrue(found);
    }

    @Test
    void monitorContentionIsAttributedToTheContendingMethod() {
        Profile lock = profiles.get(JfrProfileKind.LOCK).profile();
        assertEquals(List.of("contentions", "count"), valueType(lock, 0));
        assertEquals(List.of("delay", "nanoseconds"), valueType(lock, 1));
        assertEquals("mutex", lock.getStringTable((int) lock.getPeriodType().getType()));
        long[] contend = totalsOfStacksContaining(lock, CLASS + ".contendMonitor");
        long[] all = totalsOfStacksContaining(lock, null);
        assertTrue(contend[0] >= 3, "contentions " + contend[0]);
        // The holder keeps the monitor 30 ms per round, so each contention waits for a good part of that.
        assertTrue(contend[1] >= contend[0] * 1_000_000L, "delay " + contend[1]);
        assertTrue(contend[1] * 2 > all[1], "contendMonitor should own most of the delay");
    }

    @Test
    void parkingIsAttributedToTheParkingMethod() {
        Profile park = profiles.get(JfrProfileKind.THREAD_PARK).profile();
        assertEquals(List.of("contentions", "count"), valueType(park, 0));
        assertEquals("block", park.getStringTable((int) park.getPeriodType().getType()));
        long[] parked = totalsOfStacksContaining(park, CLASS + ".parkBriefly");
        assertTrue(parked[0] >= 10, "parks " + parked[0]);
        // Each park lasts 5 ms.
        assertTrue(parked[1] >= parked[0] * 4_000_000L, "delay " + parked[1]);
        Map<String, Long> leaves = selfValues(park, 0);
        assertTrue(leaves.containsKey("jdk/internal/misc/Unsafe.park"), leaves.toString());
    }

    @Test
    void allocationSamplesAreAttributedToTheAllocatingMethod() {
        Profile alloc = profiles.get(JfrProfileKind.ALLOC_SAMPLE).profile();
        assertEquals(List.of("alloc_sample_objects", "count"), valueType(alloc, 0));
        assertEquals(List.of("alloc_sample_bytes", "bytes"), valueType(alloc, 1));
        long[] allocating = totalsOfStacksContaining(alloc, CLASS + ".allocate");
        assertTrue(allocating[0] > 0 && allocating[1] >= allocating[0] * 16, "objects/bytes " + allocating[0] + "/"
                + allocating[1]);
    }

    static List<String> valueType(Profile profile, int index) {
        return List.of(profile.getStringTable((int) profile.getSampleType(index).getType()),
                profile.getStringTable((int) profile.getSampleType(index).getUnit()));
    }

    static String functionName(Profile profile, long locationId) {
        Location location = profile.getLocation((int) locationId - 1);
        assertEquals(locationId, location.getId());
        Function function = profile.getFunction((int) location.getLine(0).getFunctionId() - 1);
        return profile.getStringTable((int) function.getName());
    }

    /** Sum of value {@code index} per leaf function. */
    static Map<String, Long> selfValues(Profile profile, int index) {
        Map<String, Long> self = new HashMap<>();
        for (Sample sample : profile.getSampleList()) {
            if (sample.getLocationIdCount() > 0) {
                self.merge(functionName(profile, sample.getLocationId(0)), sample.getValue(index), Long::sum);
            }
        }
        return self;
    }

    /** Value totals of the samples whose stack contains {@code function} (all samples when null). */
    static long[] totalsOfStacksContaining(Profile profile, String function) {
        long[] totals = new long[profile.getSampleTypeCount()];
        for (Sample sample : profile.getSampleList()) {
            List<String> stack = new ArrayList<>();
            for (long id : sample.getLocationIdList()) {
                stack.add(functionName(profile, id));
            }
            if (function == null || stack.contains(function)) {
                for (int i = 0; i < totals.length; i++) {
                    totals[i] += sample.getValue(i);
                }
            }
        }
        return totals;
    }

    /** pprof invariants: string 0 is empty, ids are dense and 1-based, references resolve, values are non-negative. */
    static void assertWellFormed(Profile profile) {
        assertEquals("", profile.getStringTable(0));
        for (int i = 0; i < profile.getFunctionCount(); i++) {
            assertEquals(i + 1, profile.getFunction(i).getId());
        }
        for (int i = 0; i < profile.getLocationCount(); i++) {
            Location location = profile.getLocation(i);
            assertEquals(i + 1, location.getId());
            assertEquals(1, location.getMappingId());
            long functionId = location.getLine(0).getFunctionId();
            assertTrue(functionId >= 1 && functionId <= profile.getFunctionCount());
        }
        assertTrue(profile.getSampleCount() > 0);
        for (Sample sample : profile.getSampleList()) {
            assertEquals(profile.getSampleTypeCount(), sample.getValueCount());
            for (long value : sample.getValueList()) {
                assertTrue(value >= 0);
            }
            for (long id : sample.getLocationIdList()) {
                assertTrue(id >= 1 && id <= profile.getLocationCount());
            }
        }
    }
}
