package dev.kiln.server;

import static dev.kiln.server.KilnTestClient.body;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.testing.FlameGraphAssert;
import dev.kiln.proto.querier.v1.ProfileTypesRequest;
import dev.kiln.proto.querier.v1.ProfileTypesResponse;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesRequest;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesResponse;
import dev.kiln.proto.querier.v1.SeriesRequest;
import dev.kiln.proto.querier.v1.SeriesResponse;
import dev.kiln.proto.types.v1.LabelPair;
import dev.kiln.proto.types.v1.ProfileType;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The real Pyroscope Java agent (io.pyroscope:agent 2.9.2, async-profiler inside, JFR uploads to
 * /ingest) attached to a workload JVM and pointed at Kiln, unchanged.
 */
class JavaAgentIT {
    @Test
    void theJavaAgentsProfilesLookRight() throws Exception {
        Path dir = Files.createTempDirectory("kiln-agent");
        try (KilnTestClient kiln = KilnTestClient.start(dir)) {
            String classpath = System.getProperty("java.class.path");
            String agentJar = Arrays.stream(classpath.split(File.pathSeparator))
                    .filter(p -> p.contains("io" + File.separator + "pyroscope" + File.separator + "agent")).findFirst().orElseThrow();
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-javaagent:" + agentJar, "-Xmx256m", "-cp", classpath, AgentWorkload.class.getName(), "8")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile());
            Map<String, String> env = pb.environment();
            env.put("PYROSCOPE_APPLICATION_NAME", "agent-app");
            env.put("PYROSCOPE_SERVER_ADDRESS", kiln.base);
            env.put("PYROSCOPE_UPLOAD_INTERVAL", "2s");
            env.put("PYROSCOPE_PROFILER_EVENT", "itimer");
            env.put("PYROSCOPE_PROFILER_ALLOC", "64k");
            env.put("PYROSCOPE_PROFILER_LOCK", "1ms");
            env.put("PYROSCOPE_FORMAT", "jfr");
            env.put("PYROSCOPE_LOG_LEVEL", "info");
            Process workload = pb.start();
            assertTrue(workload.waitFor(60, TimeUnit.SECONDS), "workload did not finish");

            long now = System.currentTimeMillis();
            Set<String> types = new TreeSet<>();
            for (int i = 0; i < 100 && !types.containsAll(List.of("process_cpu", "memory", "mutex")); i++) {
                ProfileTypesResponse r = ProfileTypesResponse.parseFrom(body(kiln.connectProto("querier.v1.QuerierService/ProfileTypes",
                        ProfileTypesRequest.newBuilder().setStart(now - 600_000).setEnd(now + 60_000).build())));
                types = r.getProfileTypesList().stream().map(ProfileType::getName).collect(Collectors.toCollection(TreeSet::new));
                Thread.sleep(100);
            }
            assertTrue(types.containsAll(List.of("process_cpu", "memory", "mutex")),
                    "profile types " + types + "; agent log:\n" + Files.readString(dir.resolve("agent.log")));

            SelectMergeStacktracesResponse cpu = SelectMergeStacktracesResponse.parseFrom(body(kiln.connectProto(
                    "querier.v1.QuerierService/SelectMergeStacktraces", SelectMergeStacktracesRequest.newBuilder()
                            .setProfileTypeID("process_cpu:cpu:nanoseconds:cpu:nanoseconds")
                            .setLabelSelector("{service_name=\"agent-app\"}").setStart(now - 600_000).setEnd(now + 60_000).build())));
            Map<String, Long> selfByFunction = FlameGraphAssert.selfByFunction(cpu.getFlamegraph());
            long total = cpu.getFlamegraph().getTotal();
            long hot = selfByFunction.entrySet().stream().filter(e -> e.getKey().contains("AgentWorkload.hotLoop"))
                    .mapToLong(Map.Entry::getValue).sum();
            assertTrue(total > 1_000_000_000L, "at least a second of CPU: " + total);
            assertTrue(hot > total / 2, "hotLoop should dominate the CPU profile: " + hot + " of " + total + " " + selfByFunction);

            SeriesResponse series = SeriesResponse.parseFrom(body(kiln.connectProto("querier.v1.QuerierService/Series",
                    SeriesRequest.newBuilder().addMatchers("{service_name=\"agent-app\", __name__=\"process_cpu\"}")
                            .addLabelNames("worker").setStart(now - 600_000).setEnd(now + 60_000).build())));
            Set<String> workers = series.getLabelsSetList().stream().flatMap(l -> l.getLabelsList().stream())
                    .filter(l -> l.getName().equals("worker")).map(LabelPair::getValue).collect(Collectors.toCollection(TreeSet::new));
            assertEquals(Set.of("w0", "w1"), workers, "the agent's context labels are series labels");
        }
    }
}
