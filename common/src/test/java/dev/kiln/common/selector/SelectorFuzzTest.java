package dev.kiln.common.selector;

import dev.kiln.common.InvalidInputException;
import dev.kiln.common.testing.MutationFuzzer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SelectorFuzzTest {
    @Test
    void malformedSelectorsOnlyEverRaiseInvalidInput() {
        MutationFuzzer.run("selector", MutationFuzzer.utf8(
                        "{service_name=\"app\", env!=\"dev\", region=~\"eu-.*\", pod!~\"canary-[0-9]+\"}",
                        "process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"a\\\"b\"}",
                        "{}", "{a=\"\\u00e9\\n\"}"),
                30_000, Duration.ofSeconds(60),
                input -> Selector.parse(new String(input, StandardCharsets.UTF_8)),
                InvalidInputException.class);
    }
}
