package dev.kiln.common.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimeOverridesTest {
    @TempDir
    Path dir;

    @Test
    void tenantsWithoutOverridesGetTheDefaults() {
        RuntimeOverrides o = new RuntimeOverrides(Limits.DEFAULTS, null, Duration.ofSeconds(10));
        assertSame(Limits.DEFAULTS, o.forTenant("anyone"));
        assertFalse(o.reload());
    }

    @Test
    void overridesMergeOverTheDefaultsAndReloadWhenTheFileChanges() throws IOException {
        Path f = dir.resolve("overrides.yaml");
        Files.writeString(f, "overrides:\n  team-a:\n    ingestion_rate_mb: 20\n    max_query_length: 7d\n");
        RuntimeOverrides o = new RuntimeOverrides(Limits.DEFAULTS, f, Duration.ofSeconds(10));
        assertEquals(20.0, o.forTenant("team-a").ingestionRateMb());
        assertEquals(Duration.ofDays(7), o.forTenant("team-a").maxQueryLengthDuration());
        assertEquals(Limits.DEFAULTS.maxLabelNamesPerSeries(), o.forTenant("team-a").maxLabelNamesPerSeries());
        assertEquals(Limits.DEFAULTS.ingestionRateMb(), o.forTenant("team-b").ingestionRateMb());

        assertFalse(o.reload(), "unchanged file");
        Files.writeString(f, "overrides:\n  team-b:\n    max_label_names_per_series: 5\n");
        assertTrue(o.reload());
        assertEquals(Limits.DEFAULTS.ingestionRateMb(), o.forTenant("team-a").ingestionRateMb());
        assertEquals(5, o.forTenant("team-b").maxLabelNamesPerSeries());
    }

    @Test
    void aBadEditKeepsThePreviousOverrides() throws IOException {
        Path f = dir.resolve("overrides.yaml");
        Files.writeString(f, "overrides:\n  team-a:\n    ingestion_rate_mb: 20\n");
        RuntimeOverrides o = new RuntimeOverrides(Limits.DEFAULTS, f, Duration.ofSeconds(10));
        Files.writeString(f, "overrides:\n  team-a:\n    ingestion_rate_mbb: 30\n");
        assertFalse(o.reload());
        assertEquals(20.0, o.forTenant("team-a").ingestionRateMb());
        Files.writeString(f, "overrides:\n  team-a:\n    max_query_length: forever\n");
        assertFalse(o.reload());
        assertEquals(20.0, o.forTenant("team-a").ingestionRateMb());
    }

    @Test
    void aBadFileAtStartNamesTheProblem() throws IOException {
        Path f = dir.resolve("overrides.yaml");
        Files.writeString(f, "overrides:\n  team-a:\n    no_such_limit: 1\n");
        ConfigException e = assertThrows(ConfigException.class, () -> new RuntimeOverrides(Limits.DEFAULTS, f, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("no_such_limit"), e.getMessage());
        Files.writeString(f, "limits:\n  x: 1\n");
        e = assertThrows(ConfigException.class, () -> new RuntimeOverrides(Limits.DEFAULTS, f, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("unknown key 'limits'"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> new RuntimeOverrides(Limits.DEFAULTS, dir.resolve("missing.yaml"), Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }
}
