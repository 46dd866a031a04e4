package dev.kiln.ingester.head;

import dev.kiln.common.InvalidInputException;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.model.Labels;
import dev.kiln.common.testing.MutationFuzzer;
import dev.kiln.common.testing.PprofBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ingester's whole pprof path (gunzip, decode, validate, split, intern) over mutated profiles. */
class DecodedProfileFuzzTest {
    static final Labels SERIES = Labels.of("service_name", "fuzz", "__name__", "process_cpu");

    @Test
    void malformedProfilesOnlyEverRaiseInvalidInput() {
        PprofBuilder multi = new PprofBuilder().sampleType("alloc_objects", "count").sampleType("alloc_space", "bytes")
                .periodType("space", "bytes").period(512 * 1024).timeNanos(1_700_000_000_000_000_000L);
        multi.labels("span_id", "abc", "thread", "t1").stack(new long[] {3, 300}, "main", "alloc");
        multi.stack(new long[] {1, 10}, "main", "other", "leaf");
        List<byte[]> seeds = List.of(
                PprofBuilder.cpu().timeNanos(1_700_000_000_000_000_000L).stack(10, "main", "work").stack(5, "main", "idle").bytes(),
                multi.bytes(),
                PprofBuilder.cpu().stack(1, "a", "b", "c", "d").gzipped());
        MutationFuzzer.run("pprof-ingest", seeds, 20_000, Duration.ofSeconds(60),
                input -> DecodedProfile.decode(SERIES, input, "id", 1_700_000_000_000_000_000L, Map.of(), Limits.DEFAULTS),
                InvalidInputException.class);
    }
}
