package dev.kiln.distributor.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.kiln.proto.pprof.Function;
import dev.kiln.proto.pprof.Line;
import dev.kiln.proto.pprof.Location;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.pprof.Sample;
import dev.kiln.proto.pprof.ValueType;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SpyFixesTest {
    /** main (qwe.py) calls func1 and func2 (qwe.py); the sample type is spelled with a dash. */
    static Profile profile(long functionIdBase) {
        Profile.Builder p = Profile.newBuilder().addAllStringTable(List.of("", "main", "func1", "func2", "qwe.py", "inuse-space", "bytes"))
                .addSampleType(ValueType.newBuilder().setType(5).setUnit(6));
        for (int i = 1; i <= 3; i++) {
            long fid = functionIdBase == 0 ? 0 : functionIdBase + i;
            p.addFunction(Function.newBuilder().setId(fid).setName(i).setSystemName(i).setFilename(4));
            p.addLocation(Location.newBuilder().setId(i).addLine(Line.newBuilder().setFunctionId(functionIdBase == 0 ? i : fid)));
        }
        p.addSample(Sample.newBuilder().addLocationId(2).addLocationId(1).addValue(10));
        p.addSample(Sample.newBuilder().addLocationId(3).addLocationId(1).addValue(13));
        return p.build();
    }

    static String functionName(Profile p, int i) {
        return p.getStringTable((int) p.getFunction(i).getName());
    }

    @Test
    void scriptingSpiesGetTheFileNameInFrontOfEveryFunction() throws Exception {
        for (String spy : List.of("pyspy", "rbspy", "scripting")) {
            Profile fixed = Profile.parseFrom(SpyFixes.apply(profile(0).toByteArray(), spy, Set.of()));
            assertEquals(List.of("qwe.py main", "qwe.py func1", "qwe.py func2"),
                    List.of(functionName(fixed, 0), functionName(fixed, 1), functionName(fixed, 2)), spy);
        }
    }

    @Test
    void otherSpiesPassThroughUntouched() {
        byte[] raw = profile(0).toByteArray();
        assertSame(raw, SpyFixes.apply(raw, "gospy", Set.of()));
        assertSame(raw, SpyFixes.apply(raw, "unknown", Set.of("inuse_space")));
    }

    @Test
    void dotnetFunctionIdsComeFromTheLocationsAndDashesBecomeUnderscores() throws Exception {
        Profile fixed = Profile.parseFrom(SpyFixes.apply(profile(0).toByteArray(), "dotnetspy", Set.of()));
        assertEquals(List.of(1L, 2L, 3L), fixed.getFunctionList().stream().map(Function::getId).toList());
        assertEquals("inuse_space", fixed.getStringTable((int) fixed.getSampleType(0).getType()));

        // spy "unknown" with a sample_type_config keyed inuse-space is an old .NET agent too.
        Profile unknown = Profile.parseFrom(SpyFixes.apply(profile(0).toByteArray(), "unknown", Set.of("inuse-space")));
        assertEquals(List.of(1L, 2L, 3L), unknown.getFunctionList().stream().map(Function::getId).toList());
    }

    @Test
    void dotnetFunctionIdsThatAreSetStayAsTheyAre() throws Exception {
        Profile fixed = Profile.parseFrom(SpyFixes.apply(profile(100).toByteArray(), "dotnetspy", Set.of()));
        assertArrayEquals(new long[] {101, 102, 103}, fixed.getFunctionList().stream().mapToLong(Function::getId).toArray());
    }
}
