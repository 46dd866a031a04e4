package dev.kiln.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.common.config.ConfigReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is generated from the keys the process registers; this keeps it current. */
class ConfigDocsTest {
    static final Path DOC = Path.of("..", "docs", "configuration.md");

    @Test
    void configurationReferenceMatchesTheRegisteredKeys() throws IOException {
        String expected = ConfigReference.markdown(Kiln.keys());
        if (Boolean.getBoolean("kiln.docs.write")) {
            Files.writeString(DOC, expected);
        }
        assertEquals(expected, Files.exists(DOC) ? Files.readString(DOC) : "",
                "docs/configuration.md is stale: run bin/mvn -pl server test -Dtest=ConfigDocsTest -Dkiln.docs.write=true");
    }
}
