package dev.kiln.server;

import static dev.kiln.server.KilnTestClient.enc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.testing.PprofBuilder;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesRequest;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesResponse;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Profiles survive the trip head → Parquet block → object storage → store-gateway, are counted
 * once on either side of query_store_after, and are still there after a restart. Block windows
 * of one minute and a one-minute split make the whole life cycle happen within the test.
 */
class DurableStorageIT {
    static final String[] FAST = {"-pyroscopedb.max-block-duration=1m", "-pyroscopedb.flush-grace=0s",
        "-pyroscopedb.flush-check-period=200ms", "-querier.query-store-after=1m", "-store-gateway.sync-interval=200ms"};

    static void push(KilnTestClient kiln, String app, long timeMs, long value) throws Exception {
        byte[] pprof = PprofBuilder.cpu().timeNanos(timeMs * 1_000_000L).stack(value, "main", "f" + value).bytes();
        HttpResponse<String> r = kiln.ingest("name=" + enc(app) + "&format=pprof&from=" + timeMs / 1000 + "&until=" + timeMs / 1000,
                "application/octet-stream", pprof);
        assertEquals(200, r.statusCode(), r.body());
    }

    static long total(KilnTestClient kiln, String app, long startMs, long endMs) throws Exception {
        HttpResponse<byte[]> r = kiln.connectProto("querier.v1.QuerierService/SelectMergeStacktraces",
                SelectMergeStacktracesRequest.newBuilder().setProfileTypeID(SingleProcessIT.CPU)
                        .setLabelSelector("{service_name=\"" + app + "\"}").setStart(startMs).setEnd(endMs).build());
        assertEquals(200, r.statusCode(), KilnTestClient.text(r));
        return SelectMergeStacktracesResponse.parseFrom(KilnTestClient.body(r)).getFlamegraph().getTotal();
    }

    /** Waits (bounded) until the total reaches {@code expected}: flushing and syncing run in the background. */
    static long awaitTotal(KilnTestClient kiln, String app, long startMs, long endMs, long expected) throws Exception {
        long t = 0;
        for (int i = 0; i < 150 && t != expected; i++) {
            t = total(kiln, app, startMs, endMs);
            if (t != expected) {
                Thread.sleep(100);
            }
        }
        return t;
    }

    static List<Path> uploadedBlocks(Path storage, String tenant) throws Exception {
        Path dir = storage.resolve(tenant);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.exists(p.resolve("meta.json"))).toList();
        }
    }

    @Test
    void profilesAreFlushedToObjectStorageServedOnceAndSurviveARestart() throws Exception {
        Path dir = Files.createTempDirectory("kiln-durable");
        long now = System.currentTimeMillis();
        long old = now - 5 * 60_000L; // an ended window, on the store-gateway side of the split
        long from = now - 3_600_000L;
        long until = now + 60_000L;
        try (KilnTestClient kiln = KilnTestClient.start(dir, FAST)) {
            push(kiln, "durable", old, 300);
            push(kiln, "durable", old + 1, 20);
            push(kiln, "durable", now, 4);
            assertEquals(324, awaitTotal(kiln, "durable", from, until, 324));
            for (int i = 0; i < 100 && uploadedBlocks(dir.resolve("storage"), "anonymous").isEmpty(); i++) {
                Thread.sleep(100);
            }
            assertTrue(!uploadedBlocks(dir.resolve("storage"), "anonymous").isEmpty(), "the ended window was uploaded");
            // Served by the store-gateway from object storage, counted once.
            assertEquals(320, total(kiln, "durable", from, now - 120_000L));
            assertEquals(324, total(kiln, "durable", from, until));
        }
        try (KilnTestClient again = KilnTestClient.start(dir, FAST)) {
            assertEquals(324, awaitTotal(again, "durable", from, until, 324), "everything is back after a restart");
            assertEquals(4, total(again, "durable", now - 30_000L, until));
        }
    }
}
