package dev.kiln.server;

import static dev.kiln.server.KilnTestClient.enc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** /metrics carries the series operators need, and every metric the shipped dashboard queries exists. */
class MetricsIT {
    static final Pattern METRIC = Pattern.compile("\\b((?:pyroscope|jvm|process|system)_[a-zA-Z0-9_]+)");

    @Test
    void metricsHaveTheNamedSeriesAndTheDashboardOnlyUsesExistingOnes() throws Exception {
        try (KilnTestClient kiln = KilnTestClient.start(Files.createTempDirectory("kiln-metrics"))) {
            long now = System.currentTimeMillis() / 1000;
            assertEquals(200, kiln.ingest("name=" + enc("m.cpu") + "&from=" + now + "&until=" + now, null,
                    "a;b 1\n".getBytes(StandardCharsets.UTF_8)).statusCode());
            assertEquals(422, kiln.ingest("name=bad&format=pprof", "application/octet-stream", new byte[] {1, 2, 3}).statusCode());
            assertEquals(200, kiln.connectProto("querier.v1.QuerierService/SelectMergeStacktraces",
                    SelectMergeStacktracesRequest.newBuilder().setProfileTypeID(SingleProcessIT.CPU).setLabelSelector("{}")
                            .setStart(now * 1000 - 60_000).setEnd(now * 1000 + 60_000).build()).statusCode());

            // GC timers appear with the first collection (Kiln runs in this JVM in the test).
            System.gc();
            String text = kiln.get("/metrics").body();
            for (int i = 0; i < 50 && !text.contains("jvm_gc_pause_seconds_sum"); i++) {
                Thread.sleep(100);
                text = kiln.get("/metrics").body();
            }
            Set<String> exposed = new TreeSet<>();
            for (String line : text.split("\n")) {
                if (!line.startsWith("#") && !line.isBlank()) {
                    exposed.add(line.split("[{ ]")[0]);
                }
            }
            for (String name : List.of("pyroscope_request_duration_seconds_bucket", "pyroscope_distributor_received_compressed_bytes_sum",
                    "pyroscope_distributor_received_samples_sum", "pyroscope_ingester_profile_samples_received_total",
                    "pyroscope_ingester_head_series", "pyroscope_ingester_head_size_bytes", "pyroscope_ingester_wal_append_duration_seconds_bucket",
                    "pyroscope_ingester_flushed_blocks_total", "pyroscope_query_frontend_duration_seconds_bucket",
                    "pyroscope_query_frontend_queue_length", "pyroscope_query_frontend_results_cache_hits_total",
                    "pyroscope_query_frontend_results_cache_misses_total", "pyroscope_query_frontend_results_cache_size_bytes",
                    "pyroscope_discarded_profiles_total", "pyroscope_compactor_compactions_total", "jvm_memory_used_bytes",
                    "jvm_gc_pause_seconds_sum")) {
                assertTrue(exposed.contains(name), name + " missing from /metrics");
            }
            assertTrue(text.contains("pyroscope_discarded_profiles_total{reason=\"invalid_profile\",tenant=\"anonymous\"}"), text);

            JsonNode dashboard = new ObjectMapper().readTree(Files.readString(Path.of("..", "deploy", "grafana", "kiln-dashboard.json")));
            List<String> exprs = new ArrayList<>();
            for (JsonNode panel : dashboard.get("panels")) {
                for (JsonNode target : panel.get("targets")) {
                    exprs.add(target.get("expr").asText());
                }
            }
            assertTrue(exprs.size() >= 10, "dashboard has " + exprs.size() + " queries");
            for (String expr : exprs) {
                Matcher m = METRIC.matcher(expr);
                assertTrue(m.find(), "no metric in " + expr);
                do {
                    assertTrue(exposed.contains(m.group(1)), "dashboard query uses " + m.group(1) + ", which /metrics does not expose: " + expr);
                } while (m.find());
            }
        }
    }
}
