package dev.kiln.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.testing.MutationFuzzer;
import dev.kiln.common.testing.PprofBuilder;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Mutated multipart uploads, Connect JSON and protobuf bodies thrown at a running process: every
 * answer is a 2xx or a 4xx with a JSON error, never a 5xx, and the process keeps serving.
 */
class HostileHttpInputIT {
    static final String BOUNDARY = "kilnfuzzboundary";

    static byte[] multipart() throws Exception {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"profile\"; filename=\"p.pprof\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(PprofBuilder.cpu().stack(5, "main", "work").bytes());
        body.write(("\r\n--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"sample_type_config\"\r\n\r\n"
                + "{\"cpu\":{\"units\":\"nanoseconds\",\"display-name\":\"cpu\"}}\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return body.toByteArray();
    }

    static void assertHandled(HttpResponse<String> r, byte[] input) {
        assertTrue(r.statusCode() < 500, "status " + r.statusCode() + " for input of " + input.length + " bytes: " + r.body());
    }

    @Test
    void mutatedRequestsNeverCauseServerErrors() throws Exception {
        try (KilnTestClient kiln = KilnTestClient.start(Files.createTempDirectory("kiln-hostile"))) {
            MutationFuzzer.run("multipart-ingest", List.of(multipart()), 300, Duration.ofSeconds(120), input -> assertHandled(
                    kiln.ingest("name=fuzz", "multipart/form-data; boundary=" + BOUNDARY, input), input));
            MutationFuzzer.run("connect-json", MutationFuzzer.utf8(
                            "{\"profile_typeID\":\"process_cpu:cpu:nanoseconds:cpu:nanoseconds\",\"labelSelector\":\"{service_name=\\\"a\\\"}\",\"start\":\"1000\",\"end\":4000,\"maxNodes\":\"10\"}",
                            "{\"series\":[{\"labels\":[{\"name\":\"service_name\",\"value\":\"x\"}],\"samples\":[{\"rawProfile\":\"AAEC\",\"ID\":\"a\"}]}]}"),
                    300, Duration.ofSeconds(120), input -> {
                        for (String path : List.of("querier.v1.QuerierService/SelectMergeStacktraces", "push.v1.PusherService/Push")) {
                            HttpResponse<String> r = KilnTestClient.HTTP.send(HttpRequest.newBuilder(URI.create(kiln.base + "/" + path))
                                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(input)).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            assertHandled(r, input);
                        }
                    });
            assertEquals(200, kiln.get("/ready").statusCode());
            long now = System.currentTimeMillis() / 1000;
            assertEquals(200, kiln.ingest("name=after.cpu&from=" + now + "&until=" + now, null, "a;b 1".getBytes(StandardCharsets.UTF_8)).statusCode());
        }
    }
}
