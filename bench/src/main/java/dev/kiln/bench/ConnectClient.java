package dev.kiln.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * Connect unary calls with binary protobuf bodies ({@code application/proto}), as agents and
 * Grafana make them. Uses blocking {@link HttpURLConnection} on purpose: all client work then runs
 * on the calling thread, so the benchmark can subtract its CPU time from the process's and count
 * only Kiln's.
 */
final class ConnectClient {
    private final String base;

    ConnectClient(int httpPort) {
        this.base = "http://127.0.0.1:" + httpPort + "/";
    }

    /** Posts {@code body} to {@code method} (e.g. {@code push.v1.PusherService/Push}); returns the response body. */
    byte[] call(String method, byte[] body) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(base + method).toURL().openConnection();
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(body.length);
            c.setRequestProperty("Content-Type", "application/proto");
            c.setRequestProperty("Connect-Protocol-Version", "1");
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
            int status = c.getResponseCode();
            if (status != 200) {
                try (InputStream err = c.getErrorStream()) {
                    String text = err == null ? "" : new String(err.readAllBytes(), StandardCharsets.UTF_8);
                    throw new IllegalStateException(method + " answered HTTP " + status + ": " + text);
                }
            }
            try (InputStream in = c.getInputStream()) {
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(method + " failed", e);
        }
    }
}
