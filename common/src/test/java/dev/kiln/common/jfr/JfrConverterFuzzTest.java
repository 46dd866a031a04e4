package dev.kiln.common.jfr;

import dev.kiln.common.InvalidInputException;
import dev.kiln.common.testing.JdkFlightRecording;
import dev.kiln.common.testing.MutationFuzzer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Mutations of a real JDK Flight Recorder recording only ever raise the converter's validation error. */
class JfrConverterFuzzTest {
    @Test
    void mutatedRecordingsOnlyEverRaiseInvalidInput() throws Exception {
        byte[] recording = JdkFlightRecording.record().jfr();
        MutationFuzzer.run("jfr", List.of(recording), 8_000, Duration.ofSeconds(120),
                input -> JfrConverter.convert(input, null), InvalidInputException.class);
    }
}
