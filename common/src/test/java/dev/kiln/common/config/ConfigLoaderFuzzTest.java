package dev.kiln.common.config;

import dev.kiln.common.limits.Limits;
import dev.kiln.common.server.ServerConfig;
import dev.kiln.common.testing.MutationFuzzer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderFuzzTest {
    @TempDir
    Path dir;

    @Test
    void malformedConfigFilesOnlyEverRaiseConfigErrors() {
        List<ConfigKey> keys = new ArrayList<>(ServerConfig.KEYS);
        keys.addAll(Limits.keys());
        ConfigLoader loader = new ConfigLoader(keys);
        Path file = dir.resolve("kiln.yaml");
        MutationFuzzer.run("config-yaml", MutationFuzzer.utf8("""
                server:
                  http_listen_port: 4040
                  http_request_timeout: 2m
                multitenancy_enabled: true
                limits:
                  ingestion_rate_mb: 4.5
                  max_query_length: 7d
                """, "limits: {max_label_names_per_series: 30, reject_older_than: \"${AGE:1h}\"}\n"),
                3_000, Duration.ofSeconds(60),
                input -> {
                    Files.write(file, input);
                    loader.load(new String[] {"-config.file=" + file, "-config.expand-env"}, k -> null);
                },
                ConfigException.class);
    }

    @Test
    void malformedFlagsOnlyEverRaiseConfigErrors() {
        ConfigLoader loader = new ConfigLoader(ServerConfig.KEYS);
        MutationFuzzer.run("config-flags", MutationFuzzer.utf8("-server.http-listen-port=4040", "-server.http-request-timeout=1m30s",
                        "-auth.multitenancy-enabled"),
                10_000, Duration.ofSeconds(60),
                input -> loader.load(new String(input, java.nio.charset.StandardCharsets.UTF_8).split(" "), k -> null),
                ConfigException.class);
    }

    @Test
    void anUnknownKeyIsNamed() throws Exception {
        Path file = dir.resolve("typo.yaml");
        Files.writeString(file, "server:\n  http_listen_prot: 4040\n");
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> new ConfigLoader(ServerConfig.KEYS).load(new String[] {"-config.file=" + file}, k -> null));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("server.http_listen_prot"), e.getMessage());
    }
}
