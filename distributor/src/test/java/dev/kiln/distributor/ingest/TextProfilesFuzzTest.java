package dev.kiln.distributor.ingest;

import dev.kiln.common.InvalidInputException;
import dev.kiln.common.testing.MutationFuzzer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TextProfilesFuzzTest {
    @Test
    void malformedFoldedAndLinesInputOnlyEverRaisesInvalidInput() {
        var seeds = MutationFuzzer.utf8("main;work;hash 30\nmain;idle 10\n", "a;b;c\na;b;c\na;b\n",
                "runtime.main;main.run;net/http.(*conn).serve 12345678901\n", "x 1\r\ny 2\n\n");
        MutationFuzzer.run("folded", seeds, 20_000, Duration.ofSeconds(60),
                input -> TextProfiles.parse(input, false, TextProfiles.kind("cpu"), 100), InvalidInputException.class);
        MutationFuzzer.run("lines", seeds, 10_000, Duration.ofSeconds(60),
                input -> TextProfiles.parse(input, true, TextProfiles.kind("alloc_objects"), 0), InvalidInputException.class);
    }
}
