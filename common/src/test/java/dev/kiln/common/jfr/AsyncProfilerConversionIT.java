package dev.kiln.common.jfr;

import dev.kiln.proto.jfr.LabelsSnapshot;
import dev.kiln.proto.pprof.Label;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.pprof.Sample;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.kiln.common.jfr.JdkFlightRecorderConversionTest.assertWellFormed;
import static dev.kiln.common.jfr.JdkFlightRecorderConversionTest.functionName;
import static dev.kiln.common.jfr.JdkFlightRecorderConversionTest.selfValues;
import static dev.kiln.common.jfr.JdkFlightRecorderConversionTest.totalsOfStacksContaining;
import static dev.kiln.common.jfr.JdkFlightRecorderConversionTest.valueType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Converts real async-profiler recordings: a child JVM runs {@link AsyncProfilerWorkload} with the
 * async-profiler build that the Pyroscope Java agent (io.pyroscope:agent) bundles, including its
 * contextId labels and the agent's LabelsSnapshot.
 */
class AsyncProfilerConversionIT {
    private static final String WORKLOAD = "dev/kiln/common/jfr/AsyncProfilerWorkload";

    @TempDir
    static Path dir;
    private static byte[] cpuJfr;
    private static byte[] wallJfr;
    private static LabelsSnapshot labels;

    @BeforeAll
    static void recordInChildJvm() throws Exception {
        Path log = dir.resolve("child.log");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                AsyncProfilerWorkload.class.getName(),
                dir.resolve("cpu.jfr").toString(), dir.resolve("wall.jfr").toString(), dir.resolve("labels.pb").toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        boolean exited = child.waitFor(2, TimeUnit.MINUTES);
        if (!exited) {
            child.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(exited && child.exitValue() == 0, "child JVM failed:\n" + output);
        cpuJfr = Files.readAllBytes(dir.resolve("cpu.jfr"));
        wallJfr = Files.readAllBytes(dir.resolve("wall.jfr"));
        labels = LabelsSnapshot.parseFrom(Files.readAllBytes(dir.resolve("labels.pb")));
    }

    @Test
    void cpuAllocationAndLockProfilesFromItimerRecording() {
        Map<JfrProfileKind, JfrProfile> profiles = byKind(JfrConverter.convert(cpuJfr, labels));
        assertTrue(profiles.keySet().containsAll(List.of(JfrProfileKind.CPU, JfrProfileKind.ALLOC_IN_NEW_TLAB,
                JfrProfileKind.LOCK)), profiles.keySet().toString());
        for (JfrProfile profile : profiles.values()) {
            assertEquals("itimer", profile.seriesLabels().get("jfr_event"), "async-profiler's event setting");
            assertWellFormed(profile.profile());
        }

        Profile cpu = profiles.get(JfrProfileKind.CPU).profile();
        assertEquals(1_000_000L, cpu.getPeriod(), "interval=1000000 from the recording's settings");
        for (Sample sample : cpu.getSampleList()) {
            assertEquals(0, sample.getValue(0) % 1_000_000L);
        }
        Map<String, Long> self = selfValues(cpu, 0);
        // On a loaded machine allocation can take as much CPU as the hot loop, so ask for a big
        // share rather than first place.
        long cpuTotal = self.values().stream().mapToLong(Long::longValue).sum();
        assertTrue(self.getOrDefault(WORKLOAD + ".hot", 0L) * 4 >= cpuTotal, "hot should hold a quarter of the CPU: " + self);

        Profile alloc = profiles.get(JfrProfileKind.ALLOC_IN_NEW_TLAB).profile();
        assertEquals(List.of("alloc_in_new_tlab_bytes", "bytes"), valueType(alloc, 1));
        long[] allocated = totalsOfStacksContaining(alloc, WORKLOAD + ".allocate");
        assertTrue(allocated[0] > 0 && allocated[1] > 0, "allocate: " + allocated[0] + "/" + allocated[1]);

        Profile lock = profiles.get(JfrProfileKind.LOCK).profile();
        long[] contended = totalsOfStacksContaining(lock, WORKLOAD + ".contend");
        long[] all = totalsOfStacksContaining(lock, null);
        assertTrue(contended[0] > 0 && contended[1] > 0);
        // A few waits come from the JVM and agent internals (class loading, the context registry).
        assertTrue(contended[0] * 10 >= all[0] * 9, "contend " + contended[0] + " of " + all[0] + " contentions");
    }

    /**
     * The agent sets a thread's context id in the ScopedContext constructor and restores the
     * previous one at the end of {@code close()}, so events from the context's own bookkeeping
     * (e.g. {@code close()} linking a VarHandle and allocating) carry the labels too. And when
     * async-profiler cannot walk a stack to the thread's root it ends it with a marker frame such
     * as {@code break_interpreted}: such samples are labelled but their stacks show neither
     * {@code work} nor the lambda.
     */
    @Test
    void contextLabelsFromTheSnapshotBecomeSampleLabels() {
        Map<JfrProfileKind, JfrProfile> profiles = byKind(JfrConverter.convert(cpuJfr, labels));
        for (JfrProfileKind kind : List.of(JfrProfileKind.CPU, JfrProfileKind.ALLOC_IN_NEW_TLAB, JfrProfileKind.LOCK)) {
            Profile profile = profiles.get(kind).profile();
            Map<String, Long> byWorker = new HashMap<>();
            for (Sample sample : profile.getSampleList()) {
                List<String> stack = stack(profile, sample);
                String worker = label(profile, sample, "worker");
                if (stack.contains(WORKLOAD + ".work")) {
                    assertTrue(worker != null, kind + ": sample inside the scoped context without its label: " + stack);
                }
                if (worker != null) {
                    boolean completeStack = stack.getLast().equals("java/lang/Thread.run");
                    assertTrue(!completeStack || stack.contains(WORKLOAD + ".lambda$runWorkers$0"),
                            kind + ": labelled sample outside the scoped context: " + stack);
                    byWorker.merge(worker, sample.getValue(0), Long::sum);
                }
            }
            assertEquals(List.of("w0", "w1"), byWorker.keySet().stream().sorted().toList(), kind.toString());
        }
    }

    @Test
    void withoutSnapshotSamplesCarryNoLabelsAndMergeAcrossContexts() {
        Profile labelled = byKind(JfrConverter.convert(cpuJfr, labels)).get(JfrProfileKind.CPU).profile();
        Profile plain = byKind(JfrConverter.convert(cpuJfr, null)).get(JfrProfileKind.CPU).profile();
        assertTrue(plain.getSampleList().stream().allMatch(s -> s.getLabelCount() == 0));
        assertTrue(plain.getSampleCount() < labelled.getSampleCount());
        assertEquals(totalsOfStacksContaining(labelled, null)[0], totalsOfStacksContaining(plain, null)[0]);
    }

    @Test
    void wallRecordingFeedsWallAndRunnableCpu() {
        Map<JfrProfileKind, JfrProfile> profiles = byKind(JfrConverter.convert(wallJfr, labels));
        Profile wall = profiles.get(JfrProfileKind.WALL).profile();
        Profile cpu = profiles.get(JfrProfileKind.CPU).profile();
        assertEquals(Map.of("__name__", "wall", "jfr_event", "wall"), profiles.get(JfrProfileKind.WALL).seriesLabels());
        assertEquals(List.of("wall", "nanoseconds"), valueType(wall, 0));
        assertEquals(5_000_000L, wall.getPeriod());
        long idleWall = totalsOfStacksContaining(wall, WORKLOAD + ".idle")[0];
        long idleCpu = totalsOfStacksContaining(cpu, WORKLOAD + ".idle")[0];
        assertTrue(idleWall > 0 && idleWall > idleCpu, "idle wall " + idleWall + " cpu " + idleCpu);
        assertTrue(totalsOfStacksContaining(wall, null)[0] > totalsOfStacksContaining(cpu, null)[0]);
        assertFalse(totalsOfStacksContaining(cpu, WORKLOAD + ".hot")[0] == 0);
    }

    private static Map<JfrProfileKind, JfrProfile> byKind(List<JfrProfile> profiles) {
        Map<JfrProfileKind, JfrProfile> byKind = new HashMap<>();
        profiles.forEach(p -> byKind.put(p.kind(), p));
        return byKind;
    }

    private static List<String> stack(Profile profile, Sample sample) {
        List<String> stack = new ArrayList<>();
        sample.getLocationIdList().forEach(id -> stack.add(functionName(profile, id)));
        return stack;
    }

    private static String label(Profile profile, Sample sample, String key) {
        for (Label label : sample.getLabelList()) {
            if (profile.getStringTable((int) label.getKey()).equals(key)) {
                return profile.getStringTable((int) label.getStr());
            }
        }
        return null;
    }
}
