package dev.kiln.server;

import static dev.kiln.server.KilnTestClient.enc;
import static dev.kiln.server.KilnTestClient.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesRequest;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesResponse;
import dev.kiln.proto.querier.v1.SelectSeriesRequest;
import dev.kiln.proto.querier.v1.SelectSeriesResponse;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * query.memory_budget_bytes through a real process: a flame graph whose merge needs more than the
 * budget fails with 429 and a message naming the key, gives its memory back, and leaves the data
 * and every smaller query working.
 */
class QueryMemoryBudgetIT {
    static final String CPU = SingleProcessIT.CPU;
    static final long NOW_MS = System.currentTimeMillis();

    @Test
    void aMergeOverTheBudgetIsRefusedAndEverythingElseStillAnswers() throws Exception {
        Path dir = Files.createTempDirectory("kiln-query-memory");
        // 4 MiB: a few small trees fit, 60,000 distinct stacks (about 120,000 nodes, over 5 MiB per tree) do not
        try (KilnTestClient kiln = KilnTestClient.start(dir, "-query.memory-budget-bytes=" + (4 << 20),
                "-limits.ingestion-rate-mb=0")) {
            // six profiles of 10,000 distinct stacks each (one profile of all would exceed limits.max_profile_size_bytes)
            for (int p = 0; p < 6; p++) {
                StringBuilder wide = new StringBuilder();
                for (int i = p * 10_000; i < (p + 1) * 10_000; i++) {
                    wide.append("main;handler").append(i).append(";leaf").append(i).append(" 1\n");
                }
                HttpResponse<String> pushed = push(kiln, "wide-app", wide.toString());
                assertEquals(200, pushed.statusCode(), pushed.body());
            }
            assertEquals(200, push(kiln, "small-app", "main;a 5\nmain;b 7\n").statusCode());

            HttpResponse<byte[]> refused = kiln.connectProto("querier.v1.QuerierService/SelectMergeStacktraces", flame("wide-app"));
            assertEquals(429, refused.statusCode(), text(refused));
            JsonNode err = new ObjectMapper().readTree(text(refused));
            assertEquals("resource_exhausted", err.get("code").asText());
            assertTrue(err.get("message").asText().contains("query.memory_budget_bytes"), err.toString());

            assertEquals(0, usedBytes(kiln), "the refused query gave its memory back");
            HttpResponse<byte[]> small = kiln.connectProto("querier.v1.QuerierService/SelectMergeStacktraces", flame("small-app"));
            assertEquals(200, small.statusCode(), text(small));
            assertEquals(12 * 10_000_000L, SelectMergeStacktracesResponse.parseFrom(KilnTestClient.body(small)).getFlamegraph().getTotal());

            // the wide app's data is intact: its time series (one point) is small enough to merge
            SelectSeriesRequest series = SelectSeriesRequest.newBuilder().setProfileTypeID(CPU)
                    .setLabelSelector("{service_name=\"wide-app\"}").setStart(NOW_MS - 600_000).setEnd(NOW_MS + 60_000).setStep(3600).build();
            HttpResponse<byte[]> ts = kiln.connectProto("querier.v1.QuerierService/SelectSeries", series);
            assertEquals(200, ts.statusCode(), text(ts));
            SelectSeriesResponse s = SelectSeriesResponse.parseFrom(KilnTestClient.body(ts));
            double sum = s.getSeries(0).getPointsList().stream().mapToDouble(p -> p.getValue()).sum();
            assertEquals(60_000 * 10_000_000.0, sum, "60,000 samples of 10 ms (folded at 100 Hz)");
        }
    }

    static HttpResponse<String> push(KilnTestClient kiln, String app, String folded) throws Exception {
        long now = NOW_MS / 1000;
        return kiln.ingest("name=" + enc(app + ".cpu") + "&sampleRate=100&from=" + (now - 10) + "&until=" + now, null,
                folded.getBytes(StandardCharsets.UTF_8));
    }

    static SelectMergeStacktracesRequest flame(String app) {
        return SelectMergeStacktracesRequest.newBuilder().setProfileTypeID(CPU).setLabelSelector("{service_name=\"" + app + "\"}")
                .setStart(NOW_MS - 600_000).setEnd(NOW_MS + 60_000).build();
    }

    static double usedBytes(KilnTestClient kiln) throws Exception {
        String metrics = kiln.get("/metrics").body();
        Matcher m = Pattern.compile("(?m)^kiln_query_memory_used_bytes (\\S+)$").matcher(metrics);
        assertTrue(m.find(), "kiln_query_memory_used_bytes on /metrics");
        return Double.parseDouble(m.group(1));
    }
}
