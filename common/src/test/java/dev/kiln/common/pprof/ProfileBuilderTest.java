package dev.kiln.common.pprof;

import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.pprof.Sample;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ProfileBuilderTest {
    @Test
    void namedStacksMergeBySameStackAndLabels() {
        Profile profile = new ProfileBuilder()
                .sampleType("samples", "count")
                .add(List.of("main", "work"), new long[] {2}, Map.of("k", "v"))
                .add(List.of("main", "work"), new long[] {3}, Map.of("k", "v"))
                .add(List.of("main", "work"), 5)
                .build();
        assertEquals(2, profile.getSampleCount());
        assertEquals(List.of(5L), profile.getSample(0).getValueList());
        assertEquals(List.of(5L), profile.getSample(1).getValueList());
        assertEquals(2, profile.getFunctionCount());
        assertEquals(2, profile.getLocationCount());
        // leaf first
        assertEquals("work", functionName(profile, profile.getSample(0).getLocationId(0)));
        assertEquals(0, profile.getMappingCount());
        assertEquals(0, profile.getLocation(0).getMappingId());
    }

    @Test
    void functionsByNameAndLocationsByFunctionAndLineAreAddedOnce() {
        ProfileBuilder builder = new ProfileBuilder().sampleType("cpu", "nanoseconds").symbolizedMapping();
        long run = builder.function("Thread.run");
        assertEquals(run, builder.function("Thread.run"));
        long line10 = builder.location(run, 10);
        assertEquals(line10, builder.location(run, 10));
        long line11 = builder.location(run, 11);
        long call = builder.location(builder.function("Task.call"), 10);
        builder.addSample(new long[] {call, line10}, new long[] {7}, new String[] {"worker", "w0"});
        builder.addSample(new long[] {call, line10}, new long[] {8}, new String[0]);
        Profile profile = builder.build();

        assertEquals(List.of(1L, 2L, 3L), List.of(line10, line11, call));
        assertEquals(2, profile.getFunctionCount());
        assertEquals(1, profile.getMappingCount());
        assertEquals(true, profile.getMapping(0).getHasFunctions());
        assertEquals(11, profile.getLocation(1).getLine(0).getLine());
        for (var location : profile.getLocationList()) {
            assertEquals(1, location.getMappingId());
        }
        Sample labelled = profile.getSample(0);
        assertEquals(List.of(call, line10), labelled.getLocationIdList());
        assertEquals("worker", profile.getStringTable((int) labelled.getLabel(0).getKey()));
        assertEquals("w0", profile.getStringTable((int) labelled.getLabel(0).getStr()));
        assertEquals(List.of(8L), profile.getSample(1).getValueList());
    }

    @Test
    void theMappingMustComeBeforeAnyLocation() {
        ProfileBuilder builder = new ProfileBuilder();
        builder.location(builder.function("f"), 1);
        assertThrows(IllegalStateException.class, builder::symbolizedMapping);
    }

    private static String functionName(Profile profile, long locationId) {
        long functionId = profile.getLocation((int) locationId - 1).getLine(0).getFunctionId();
        return profile.getStringTable((int) profile.getFunction((int) functionId - 1).getName());
    }
}
