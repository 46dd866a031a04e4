package dev.kiln.ingester.head;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.limits.Limits;
import dev.kiln.common.model.Labels;
import dev.kiln.common.testing.PprofBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DecodedProfileTest {

    static List<DecodedProfile.Part> parts(String name, PprofBuilder pprof, String... extra) {
        Labels.Builder b = Labels.builder().set("__name__", name).set("service_name", "app");
        for (int i = 0; i < extra.length; i += 2) {
            b.set(extra[i], extra[i + 1]);
        }
        return DecodedProfile.decode(b.build(), pprof.bytes(), "id", 1, Map.of(), Limits.DEFAULTS).parts;
    }

    static PprofBuilder allocs() {
        return new PprofBuilder().sampleType("alloc_objects", "count").sampleType("alloc_space", "bytes")
                .periodType("space", "bytes").period(524288).stack(new long[] {1, 2}, "main");
    }

    @Test
    void godeltaprofPrefixIsStrippedAndTheProfileIsAlreadyADelta() {
        List<DecodedProfile.Part> parts = parts("godeltaprof_memory", allocs());

        Labels l = parts.get(1).labels();
        assertEquals("memory", l.get("__name__"));
        assertEquals("godeltaprof_memory", l.get("__name_replaced__"));
        assertEquals("memory:alloc_space:bytes:space:bytes", l.get("__profile_type__"));
        assertFalse(parts.get(0).cumulative());
        assertFalse(parts.get(1).cumulative());
    }

    @Test
    void cumulativeUnlessTheClientSaysItSendsDeltas() {
        assertTrue(parts("memory", allocs()).get(0).cumulative());
        assertFalse(parts("memory", allocs(), "__delta__", "false").get(0).cumulative());
    }

    @Test
    void wallProfileWithCpuSampleTypeIsProcessCpu() {
        PprofBuilder nodeWall = new PprofBuilder().sampleType("samples", "count").sampleType("cpu", "nanoseconds")
                .periodType("wall", "nanoseconds").period(10_000).stack(new long[] {1, 10_000}, "main");
        List<DecodedProfile.Part> parts = parts("wall", nodeWall);

        assertEquals("wall", parts.get(0).labels().get("__name__"));
        assertEquals(null, parts.get(0).labels().get("__name_replaced__"));
        assertEquals("process_cpu", parts.get(1).labels().get("__name__"));
        assertEquals("wall", parts.get(1).labels().get("__name_replaced__"));
        assertEquals("process_cpu:cpu:nanoseconds:wall:nanoseconds", parts.get(1).labels().get("__profile_type__"));
    }
}
