package dev.kiln.distributor.ingest;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.ContentDisposition;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.multipart.BodyPart;
import com.linecorp.armeria.common.multipart.Multipart;
import com.linecorp.armeria.server.Server;
import dev.kiln.common.InvalidInputException;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.limits.TenantLimits;
import dev.kiln.common.testing.JdkFlightRecording;
import dev.kiln.distributor.Distributor;
import dev.kiln.distributor.DistributorConfig;
import dev.kiln.distributor.IngesterRouter;
import dev.kiln.proto.ingester.v1.IngesterServiceGrpc;
import dev.kiln.proto.ingester.v1.ProfileSeries;
import dev.kiln.proto.ingester.v1.PushRequest;
import dev.kiln.proto.ingester.v1.PushResponse;
import dev.kiln.proto.jfr.Context;
import dev.kiln.proto.jfr.LabelsSnapshot;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.pprof.Sample;
import dev.kiln.proto.types.v1.LabelPair;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static dev.kiln.common.testing.PprofBuilder.gzip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Java agent uploads through the whole {@code /ingest} path: an Armeria server with the
 * {@link IngestHandler} and {@link JfrUploads}, a {@link Distributor} and an in-process gRPC
 * ingester that records what it is pushed. The recording is a real JDK Flight Recorder file; the
 * expected totals are computed from it with the JDK's own JFR parser.
 */
class JfrIngestIT {
    private static final String QUERY = "/ingest?name=shop%7Benv%3Dprod%7D&format=jfr&spyName=javaspy"
            + "&from=1700000000&until=1700000010&sampleRate=100&units=samples&aggregationType=sum";

    @TempDir
    static Path dir;
    private static byte[] jfr;
    private static Map<String, long[]> expected;
    private static final List<PushRequest> pushed = new CopyOnWriteArrayList<>();
    private static io.grpc.Server ingester;
    private static ManagedChannel channel;
    private static ExecutorService executor;
    private static Server server;
    private static WebClient client;

    @BeforeAll
    static void start() throws Exception {
        jfr = JdkFlightRecording.record().jfr();
        expected = totalsFromJdkParser(jfr);

        String name = InProcessServerBuilder.generateName();
        ingester = InProcessServerBuilder.forName(name).directExecutor()
                .addService(new IngesterServiceGrpc.IngesterServiceImplBase() {
                    @Override
                    public void push(PushRequest request, StreamObserver<PushResponse> response) {
                        pushed.add(request);
                        response.onNext(PushResponse.newBuilder().setProfiles(request.getSeriesCount()).build());
                        response.onCompleted();
                    }
                }).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        Distributor distributor = new Distributor(new DistributorConfig(Duration.ofSeconds(5)),
                IngesterRouter.single("ingester-1", channel), TenantLimits.fixed(Limits.DEFAULTS), new SimpleMeterRegistry());
        executor = Executors.newSingleThreadExecutor();
        server = Server.builder().http(0)
                .service("/ingest", new IngestHandler(distributor, false, executor, new JfrUploads()))
                .build();
        server.start().join();
        client = WebClient.of("http://127.0.0.1:" + server.activeLocalPort());
    }

    @AfterAll
    static void stop() {
        server.stop().join();
        executor.shutdown();
        channel.shutdownNow();
        ingester.shutdownNow();
    }

    @BeforeEach
    void forgetEarlierPushes() {
        pushed.clear();
    }

    @Test
    void gzippedMultipartUploadBecomesOneSeriesPerProfileWithTheRecordingsTotals() {
        LabelsSnapshot snapshot = LabelsSnapshot.newBuilder()
                .putContexts(1, Context.newBuilder().putLabels(1, 2).build())
                .putStrings(1, "route").putStrings(2, "/checkout")
                .build();
        AggregatedHttpResponse response = postMultipart(gzip(jfr), gzip(snapshot.toByteArray()));
        assertEquals(200, response.status().code(), response.contentUtf8());

        Map<String, ProfileSeries> byType = seriesByProfileType();
        assertEquals(expected.keySet(), byType.keySet());
        Map<String, String> cpuLabels = labels(byType.get("process_cpu/cpu"));
        assertEquals(Map.of("__delta__", "false", "__name__", "process_cpu", "env", "prod", "jfr_event", "cpu",
                "pyroscope_spy", "javaspy", "service_name", "shop"), cpuLabels);
        assertEquals("mutex", labels(byType.get("mutex/lock")).get("__name__"));
        assertEquals("lock", labels(byType.get("block/lock")).get("jfr_event"));
        assertEquals("alloc", labels(byType.get("memory/alloc")).get("jfr_event"));

        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            ProfileSeries series = byType.get(e.getKey());
            assertEquals(1, series.getProfilesCount());
            assertEquals(1_700_000_000_000_000_000L, series.getProfiles(0).getDefaultTimeNanos());
            Profile profile = parse(series);
            long[] want = e.getValue();
            long[] got = totals(profile);
            assertEquals(want.length, got.length, e.getKey());
            assertEquals(want[0], got[0], e.getKey() + " " + sampleTypes(profile).get(0));
            if (want.length > 1) {
                // JFR durations are ticks; the converter and the JDK may round each event's nanoseconds apart.
                assertTrue(Math.abs(want[1] - got[1]) <= want[0], e.getKey() + " " + want[1] + " vs " + got[1]);
            }
            assertTrue(profile.getSampleList().stream().allMatch(s -> s.getLabelCount() == 0),
                    "JDK events carry no context id, so no sample labels");
        }
        assertEquals(List.of("cpu/nanoseconds"), sampleTypes(parse(byType.get("process_cpu/cpu"))));
        assertEquals(List.of("alloc_sample_objects/count", "alloc_sample_bytes/bytes"),
                sampleTypes(parse(byType.get("memory/alloc"))));
        assertEquals(List.of("contentions/count", "delay/nanoseconds"), sampleTypes(parse(byType.get("mutex/lock"))));
        assertEquals(List.of("contentions/count", "delay/nanoseconds"), sampleTypes(parse(byType.get("block/lock"))));
    }

    @Test
    void rawUncompressedBodyIsAcceptedToo() {
        AggregatedHttpResponse response = client.prepare().post(QUERY)
                .content(MediaType.OCTET_STREAM, jfr).execute().aggregate().join();
        assertEquals(200, response.status().code(), response.contentUtf8());
        assertEquals(expected.keySet(), seriesByProfileType().keySet());
    }

    @Test
    void truncatedRecordingIsRejectedWithTheProblemNamed() {
        AggregatedHttpResponse response = postMultipart(gzip(Arrays.copyOf(jfr, jfr.length / 2)), null);
        assertEquals(422, response.status().code());
        assertTrue(response.contentUtf8().contains("invalid JFR recording: "), response.contentUtf8());
        assertTrue(pushed.isEmpty());
    }

    @Test
    void bodyThatIsNoRecordingIsRejected() {
        AggregatedHttpResponse response = client.prepare().post(QUERY)
                .content(MediaType.OCTET_STREAM, "hello, not a flight recording".getBytes()).execute().aggregate().join();
        assertEquals(422, response.status().code());
        assertTrue(response.contentUtf8().contains("invalid JFR recording: "), response.contentUtf8());
    }

    @Test
    void labelsPartThatIsNoSnapshotIsRejected() {
        AggregatedHttpResponse response = postMultipart(gzip(jfr), gzip(new byte[] {(byte) 0xff, 0x01, 0x02}));
        assertEquals(422, response.status().code());
        assertTrue(response.contentUtf8().contains("invalid jfr labels"), response.contentUtf8());
        assertTrue(pushed.isEmpty());
    }

    @Test
    void multipartWithoutJfrPartIsABadRequest() {
        AggregatedHttpResponse response = postMultipart(null, gzip(LabelsSnapshot.getDefaultInstance().toByteArray()));
        assertEquals(400, response.status().code());
        assertTrue(response.contentUtf8().contains("jfr field is required"), response.contentUtf8());
    }

    @Test
    void decompressedSizeIsBounded() {
        byte[] zeros = new byte[2048];
        IngestHandler.JfrIngest small = new JfrUploads(1024);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> small.convert(gzip(zeros), null, Map.of("service_name", "shop"), 0));
        assertEquals("jfr exceeds the size limit of 1024 bytes after decompression (limits.max_profile_size_bytes)",
                e.getMessage());
    }

    private static AggregatedHttpResponse postMultipart(byte[] jfrPart, byte[] labelsPart) {
        List<BodyPart> parts = new ArrayList<>();
        if (jfrPart != null) {
            parts.add(filePart("jfr", jfrPart));
        }
        if (labelsPart != null) {
            parts.add(filePart("labels", labelsPart));
        }
        return client.execute(Multipart.of(parts).toHttpRequest(QUERY)).aggregate().join();
    }

    private static BodyPart filePart(String name, byte[] content) {
        return BodyPart.builder()
                .headers(HttpHeaders.of(HttpHeaderNames.CONTENT_DISPOSITION,
                        ContentDisposition.builder("form-data").name(name).filename(name).build()))
                .content(HttpData.wrap(content))
                .build();
    }

    /** Pushed series keyed by "__name__/jfr_event". */
    private static Map<String, ProfileSeries> seriesByProfileType() {
        Map<String, ProfileSeries> byType = new TreeMap<>();
        for (PushRequest request : pushed) {
            for (ProfileSeries series : request.getSeriesList()) {
                Map<String, String> labels = labels(series);
                ProfileSeries previous = byType.put(labels.get("__name__") + "/" + labels.get("jfr_event"), series);
                assertEquals(null, previous, "one series per profile: " + labels);
            }
        }
        return byType;
    }

    /**
     * Per profile ("__name__/jfr_event"): the number of events with a stack trace (times the 10 ms
     * sampling period for cpu) and, for two-valued profiles, the summed weight or duration.
     */
    private static Map<String, long[]> totalsFromJdkParser(byte[] recording) throws IOException {
        Path file = Files.write(dir.resolve("recording.jfr"), recording);
        Map<String, long[]> totals = new HashMap<>();
        for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
            if (event.getStackTrace() == null) {
                continue;
            }
            switch (event.getEventType().getName()) {
                case "jdk.ExecutionSample" -> totals.computeIfAbsent("process_cpu/cpu", k -> new long[1])[0] += 10_000_000L;
                case "jdk.ObjectAllocationSample" -> add(totals, "memory/alloc", event.getLong("weight"));
                case "jdk.JavaMonitorEnter" -> add(totals, "mutex/lock", event.getDuration().toNanos());
                case "jdk.ThreadPark" -> add(totals, "block/lock", event.getDuration().toNanos());
                default -> { }
            }
        }
        return totals;
    }

    private static void add(Map<String, long[]> totals, String key, long value) {
        long[] t = totals.computeIfAbsent(key, k -> new long[2]);
        t[0]++;
        t[1] += value;
    }

    private static Map<String, String> labels(ProfileSeries series) {
        Map<String, String> labels = new HashMap<>();
        for (LabelPair pair : series.getLabelsList()) {
            labels.put(pair.getName(), pair.getValue());
        }
        return labels;
    }

    private static Profile parse(ProfileSeries series) {
        try {
            return Profile.parseFrom(series.getProfiles(0).getPayload());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static long[] totals(Profile profile) {
        long[] totals = new long[profile.getSampleTypeCount()];
        for (Sample sample : profile.getSampleList()) {
            for (int i = 0; i < totals.length; i++) {
                totals[i] += sample.getValue(i);
            }
        }
        return totals;
    }

    private static List<String> sampleTypes(Profile profile) {
        return profile.getSampleTypeList().stream()
                .map(t -> profile.getStringTable((int) t.getType()) + "/" + profile.getStringTable((int) t.getUnit()))
                .toList();
    }
}
