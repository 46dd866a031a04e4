package dev.kiln.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.proto.querier.v1.ProfileTypesRequest;
import dev.kiln.proto.querier.v1.ProfileTypesResponse;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesRequest;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesResponse;
import dev.kiln.proto.types.v1.ProfileType;
import java.nio.file.Files;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** With self-profiling on, Kiln's own CPU profile shows up in Kiln, under its service name. */
class SelfProfilingIT {
    @Test
    void kilnProfilesItself() throws Exception {
        try (KilnTestClient kiln = KilnTestClient.start(Files.createTempDirectory("kiln-self"), "-self-profiling.enabled",
                "-self-profiling.interval=1s", "-self-profiling.service-name=kiln-itself")) {
            long now = System.currentTimeMillis();
            Set<String> types = new TreeSet<>();
            for (int i = 0; i < 150 && !types.contains("process_cpu"); i++) {
                // Queries give the profiler something to see.
                ProfileTypesResponse r = ProfileTypesResponse.parseFrom(KilnTestClient.body(kiln.connectProto(
                        "querier.v1.QuerierService/ProfileTypes",
                        ProfileTypesRequest.newBuilder().setStart(now - 600_000).setEnd(System.currentTimeMillis() + 60_000).build())));
                types = r.getProfileTypesList().stream().map(ProfileType::getName).collect(Collectors.toCollection(TreeSet::new));
                Thread.sleep(100);
            }
            assertTrue(types.contains("process_cpu"), "types: " + types);
            SelectMergeStacktracesResponse cpu = SelectMergeStacktracesResponse.parseFrom(KilnTestClient.body(kiln.connectProto(
                    "querier.v1.QuerierService/SelectMergeStacktraces", SelectMergeStacktracesRequest.newBuilder()
                            .setProfileTypeID("process_cpu:cpu:nanoseconds:cpu:nanoseconds").setLabelSelector("{service_name=\"kiln-itself\"}")
                            .setStart(now - 600_000).setEnd(System.currentTimeMillis() + 60_000).build())));
            assertTrue(cpu.getFlamegraph().getTotal() > 0, "no CPU samples of Kiln itself");
            assertTrue(cpu.getFlamegraph().getNamesList().stream().anyMatch(n -> n.contains("dev/kiln") || n.contains("dev.kiln")),
                    "Kiln's own frames: " + cpu.getFlamegraph().getNamesList().subList(0, Math.min(20, cpu.getFlamegraph().getNamesCount())));
        }
    }
}
