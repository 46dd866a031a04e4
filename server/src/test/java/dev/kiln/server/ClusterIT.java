package dev.kiln.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.ring.kv.EtcdProcess;
import dev.kiln.common.testing.FlameGraphAssert;
import dev.kiln.common.testing.PprofBuilder;
import dev.kiln.proto.push.v1.PushRequest;
import dev.kiln.proto.push.v1.RawProfileSeries;
import dev.kiln.proto.push.v1.RawSample;
import dev.kiln.proto.query.v1.QueryServiceGrpc;
import dev.kiln.proto.query.v1.Selection;
import dev.kiln.proto.query.v1.Tree;
import dev.kiln.proto.querier.v1.FlameGraph;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesRequest;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesResponse;
import dev.kiln.proto.types.v1.LabelPair;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Microservices mode end to end: etcd + S3Proxy + 2 distributors + 3 ingesters (replication
 * factor 3) + 2 store-gateways (replication factor 2) + 2 queriers + 1 query-frontend + 1
 * compactor, each its own JVM started from its component jar. Profiles carry ids, as agents'
 * retries do, and every assertion compares exact flame-graph totals with what was acknowledged.
 *
 * <p>Two queriers: {@code querier-recent} answers the query-frontend with the default split (recent
 * data from ingesters); {@code querier-store} has {@code query_store_after=1m}, so everything the
 * tests push (hours old) is read from the store-gateways — it is asked directly on its internal API
 * to check what object storage holds.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
    private static final String CPU = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    private static final Duration READY = Duration.ofMinutes(3);

    static EtcdProcess etcd;
    static S3Proxy s3;
    static LocalCluster cluster;
    static ManagedChannel storeQuerier;

    @BeforeAll
    static void startCluster() throws Exception {
        EtcdProcess.assumeInstalled();
        etcd = EtcdProcess.start();
        s3 = S3Proxy.builder().blobStore(new TransientNio2BlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "kiln-access", "kiln-secret").build();
        s3.start();
        while (!"STARTED".equals(s3.getState())) {
            Thread.sleep(5);
        }
        String s3Endpoint = "127.0.0.1:" + s3.getPort();
        try (S3Client admin = S3Client.builder().endpointOverride(URI.create("http://" + s3Endpoint)).forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("kiln-access", "kiln-secret")))
                .build()) {
            admin.createBucket(b -> b.bucket("profiles"));
        }
        Path dir = Files.createTempDirectory("kiln-cluster");
        String kv = "kvstore: {store: etcd, prefix: cluster-" + UUID.randomUUID() + "/, etcd: {endpoints: [\"" + etcd.endpoint() + "\"]}}";
        String yaml = """
                server:
                  http_listen_address: 127.0.0.1
                  http_listen_port: 0
                  grpc_listen_address: 127.0.0.1
                  grpc_listen_port: 0
                storage:
                  backend: s3
                  s3: {endpoint: "%s", bucket_name: profiles, access_key_id: kiln-access, secret_access_key: kiln-secret, insecure: true, force_path_style: true}
                limits:
                  reject_older_than: 0s
                distributor:
                  receivers: {otlp: {protocols: {grpc: {endpoint: ""}}}}
                ingester:
                  lifecycler:
                    address: 127.0.0.1
                    heartbeat_period: 1s
                    ring: {%s, replication_factor: 3, heartbeat_timeout: 6s}
                store_gateway:
                  sync_interval: 1s
                  sharding_ring: {%s, replication_factor: 2, heartbeat_period: 1s, heartbeat_timeout: 6s, instance_addr: 127.0.0.1}
                querier:
                  block_sync_interval: 1s
                compactor:
                  compaction_interval: 1s
                  compaction_wait_period: 1s
                  deletion_delay: 1h
                  sharding_ring: {%s, heartbeat_period: 1s, heartbeat_timeout: 6s, instance_addr: 127.0.0.1}
                """.formatted(s3Endpoint, kv, kv, kv);
        cluster = new LocalCluster(dir, yaml);
        for (int i = 1; i <= 3; i++) {
            cluster.start("ingester-" + i, "ingester", "-ingester.lifecycler.id=ingester-" + i,
                    "-pyroscopedb.data-path=" + dir.resolve("ingester-" + i));
        }
        for (int i = 1; i <= 2; i++) {
            cluster.start("store-gateway-" + i, "store-gateway", "-store-gateway.sharding-ring.instance-id=store-gateway-" + i);
        }
        cluster.start("compactor", "compactor", "-compactor.sharding-ring.instance-id=compactor-1",
                "-compactor.data-dir=" + dir.resolve("compactor"));
        cluster.start("querier-recent", "querier");
        cluster.start("querier-store", "querier", "-querier.query-store-after=1m");
        cluster.awaitAllReady(READY);
        cluster.start("distributor-1", "distributor");
        cluster.start("distributor-2", "distributor");
        cluster.start("query-frontend", "query-frontend",
                "-frontend.querier-addresses=127.0.0.1:" + cluster.node("querier-recent").grpcPort);
        cluster.awaitAllReady(READY);
        storeQuerier = ManagedChannelBuilder.forAddress("127.0.0.1", cluster.node("querier-store").grpcPort).usePlaintext().build();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (storeQuerier != null) {
            storeQuerier.shutdownNow();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (s3 != null) {
            s3.stop();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    /** What was acknowledged for one service: total and self per stack. */
    static final class Acked {
        final Map<String, Long> self = new HashMap<>();
        long total;

        synchronized void add(long work, long idle) {
            self.merge("main;work", work, Long::sum);
            self.merge("main;idle", idle, Long::sum);
            total += work + idle;
        }
    }

    /** Profile {@code i}: main;work = i + 1, main;idle = 7 (ns), distinct per profile so a lost or doubled one shows. */
    static byte[] profile(int i, long timeNanos) {
        return PprofBuilder.cpu().timeNanos(timeNanos).durationNanos(10_000_000_000L)
                .stack(i + 1, "main", "work").stack(7, "main", "idle").gzipped();
    }

    /** Pushes one profile through {@code distributor} (push.v1 over Connect); true when acknowledged. */
    static boolean push(LocalCluster.Node distributor, String service, String id, byte[] pprof) {
        PushRequest request = PushRequest.newBuilder().addSeries(RawProfileSeries.newBuilder()
                .addLabels(LabelPair.newBuilder().setName("__name__").setValue("process_cpu"))
                .addLabels(LabelPair.newBuilder().setName("service_name").setValue(service))
                .addSamples(RawSample.newBuilder().setRawProfile(com.google.protobuf.ByteString.copyFrom(pprof)).setID(id)))
                .build();
        try {
            HttpResponse<byte[]> r = KilnTestClient.HTTP.send(HttpRequest.newBuilder(URI.create(distributor.base() + "/push.v1.PusherService/Push"))
                    .header("Content-Type", "application/proto").header("Connect-Protocol-Version", "1")
                    .timeout(Duration.ofSeconds(20))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(request.toByteArray())).build(), HttpResponse.BodyHandlers.ofByteArray());
            return r.statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }

    /** Pushes with retries (same id, alternating distributors), as an agent would; the number of attempts used, or -1. */
    static int pushWithRetries(String service, String id, byte[] pprof, int seq) throws InterruptedException {
        List<LocalCluster.Node> distributors = cluster.nodes("distributor");
        for (int attempt = 0; attempt < 10; attempt++) {
            if (push(distributors.get((seq + attempt) % distributors.size()), service, id, pprof)) {
                return attempt + 1;
            }
            Thread.sleep(200);
        }
        return -1;
    }

    /** Before each push. */
    interface PushHook {
        void before(int i) throws Exception;
    }

    /** Pushes profiles 0..count-1 of {@code service} 10 s apart from {@code baseMs}; each must be acknowledged. */
    static Acked pushOldProfiles(String service, long baseMs, int count, PushHook hook) throws Exception {
        Acked acked = new Acked();
        for (int i = 0; i < count; i++) {
            hook.before(i);
            long ts = baseMs + i * 10_000L;
            assertTrue(pushWithRetries(service, "p-" + service + "-" + i, profile(i, ts * 1_000_000L), i) > 0,
                    "profile " + i + " was never acknowledged");
            acked.add(i + 1, 7);
        }
        return acked;
    }

    static FlameGraph frontendFlameGraph(String service, long startMs, long endMs) throws Exception {
        SelectMergeStacktracesRequest req = SelectMergeStacktracesRequest.newBuilder().setProfileTypeID(CPU)
                .setLabelSelector("{service_name=\"" + service + "\"}").setStart(startMs).setEnd(endMs).build();
        HttpResponse<byte[]> r = KilnTestClient.HTTP.send(HttpRequest.newBuilder(
                        URI.create(cluster.node("query-frontend").base() + "/querier.v1.QuerierService/SelectMergeStacktraces"))
                .header("Content-Type", "application/proto").header("Connect-Protocol-Version", "1")
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(req.toByteArray())).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode(), () -> new String(KilnTestClient.body(r)));
        return SelectMergeStacktracesResponse.parseFrom(KilnTestClient.body(r)).getFlamegraph();
    }

    /** Self per stack path as the store-gateway side (querier-store) sees it. */
    static Map<String, Long> storeSelf(String service, long startMs, long endMs) {
        Tree tree = QueryServiceGrpc.newBlockingStub(storeQuerier).withDeadlineAfter(60, TimeUnit.SECONDS)
                .selectTree(Selection.newBuilder().setProfileTypeId(CPU).setLabelSelector("{service_name=\"" + service + "\"}")
                        .setRange(dev.kiln.proto.query.v1.TimeRange.newBuilder().setStart(startMs).setEnd(endMs)).build());
        Map<String, Long> self = new HashMap<>();
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < tree.getNameCount(); i++) {
            // Node 0 is the root ("total"); paths start below it.
            String name = tree.getNames(tree.getName(i));
            String parent = tree.getParent(i) < 0 ? null : paths.get(tree.getParent(i));
            String path = parent == null ? "" : parent.isEmpty() ? name : parent + ";" + name;
            paths.add(path);
            if (tree.getSelf(i) != 0) {
                self.merge(path, tree.getSelf(i), Long::sum);
            }
        }
        return self;
    }

    static void awaitEquals(Map<String, Long> expected, java.util.concurrent.Callable<Map<String, Long>> actual, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Long> last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = actual.call();
                if (expected.equals(last)) {
                    return;
                }
            } catch (RuntimeException | AssertionError e) {
                last = Map.of("error: " + e.getMessage(), 0L);
            }
            Thread.sleep(500);
        }
        assertEquals(expected, last);
    }

    static long metric(LocalCluster.Node node, String name) throws Exception {
        double sum = 0;
        for (String line : node.get("/metrics").body().split("\n")) {
            if (line.startsWith(name) && !line.startsWith("#")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return (long) sum;
    }

    /** The ring pages as JSON: state per instance id. */
    static Map<String, String> ringStates(LocalCluster.Node node, String path) throws Exception {
        HttpResponse<String> r = KilnTestClient.HTTP.send(HttpRequest.newBuilder(URI.create(node.base() + path))
                .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        Map<String, String> states = new java.util.TreeMap<>();
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).get("instances")
                .forEach(i -> states.put(i.get("id").asText(), i.get("state").asText()));
        return states;
    }

    @Test
    @Order(0)
    void ringPagesShowEveryMemberActive() throws Exception {
        assertEquals(Map.of("ingester-1", "ACTIVE", "ingester-2", "ACTIVE", "ingester-3", "ACTIVE"),
                ringStates(cluster.node("distributor-1"), "/ring"));
        assertEquals(Map.of("store-gateway-1", "ACTIVE", "store-gateway-2", "ACTIVE"),
                ringStates(cluster.node("querier-store"), "/store-gateway/ring"));
        assertEquals(Map.of("compactor-1", "ACTIVE"), ringStates(cluster.node("compactor"), "/compactor/ring"));
        assertTrue(cluster.node("distributor-2").get("/ring").body().contains("<table"), "the HTML page");
    }

    // ---------------------------------------------------------------- acceptance 2

    @Test
    @Order(1)
    void killingAnIngesterMidStreamLosesNothingAndCountsNothingTwice() throws Exception {
        String service = "kill-" + UUID.randomUUID().toString().substring(0, 8);
        // Three hours back: an hour range the compactor may merge right away.
        long baseMs = (System.currentTimeMillis() / 3_600_000L - 3) * 3_600_000L + 600_000L;
        Acked acked = pushOldProfiles(service, baseMs, 60, i -> {
            if (i == 20) {
                cluster.node("ingester-2").kill();
            }
        });
        long from = baseMs - 60_000L;
        long to = baseMs + 3_600_000L;

        // Before any flush: the surviving ingesters (one replica of each profile is gone).
        FlameGraph fg = frontendFlameGraph(service, from, to);
        assertEquals(acked.total, fg.getTotal());
        assertEquals(acked.self, FlameGraphAssert.selfByPath(fg));

        // The survivors flush to S3: the store side holds two copies of everything, counted once.
        for (String name : List.of("ingester-1", "ingester-3")) {
            assertEquals(204, cluster.node(name).post("/ingester/flush").statusCode());
        }
        awaitEquals(acked.self, () -> storeSelf(service, from, to), Duration.ofSeconds(60));
        assertEquals(acked.self, FlameGraphAssert.selfByPath(frontendFlameGraph(service, from, to)));

        // The compactor merges the replicas' blocks; the answer stays exact.
        LocalCluster.Node compactor = cluster.node("compactor");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (metric(compactor, "pyroscope_compactor_compactions_total") == 0 && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        assertTrue(metric(compactor, "pyroscope_compactor_compactions_total") > 0, "the compactor merged the uploaded blocks");
        awaitEquals(acked.self, () -> storeSelf(service, from, to), Duration.ofSeconds(30));
        assertEquals(acked.self, FlameGraphAssert.selfByPath(frontendFlameGraph(service, from, to)));
    }

    // ---------------------------------------------------------------- acceptance 3

    @Test
    @Order(2)
    void killingAStoreGatewayKeepsOldDataQueryable() throws Exception {
        String service = "sg-" + UUID.randomUUID().toString().substring(0, 8);
        long baseMs = (System.currentTimeMillis() / 3_600_000L - 5) * 3_600_000L + 600_000L;
        Acked acked = pushOldProfiles(service, baseMs, 20, i -> {});
        for (String name : List.of("ingester-1", "ingester-3")) {
            assertEquals(204, cluster.node(name).post("/ingester/flush").statusCode());
        }
        long from = baseMs - 60_000L;
        long to = baseMs + 3_600_000L;
        awaitEquals(acked.self, () -> storeSelf(service, from, to), Duration.ofSeconds(60));

        cluster.node("store-gateway-1").kill();
        // Every block has a second owner on the store-gateway ring: the querier fails over to it.
        assertEquals(acked.self, storeSelf(service, from, to));
    }

    // ---------------------------------------------------------------- acceptance 4

    @Test
    @Order(3)
    void rollingRestartOfEveryIngesterUnderLoadLosesNothing() throws Exception {
        // The ingester killed earlier comes back first (it replays its WAL and rejoins).
        cluster.node("ingester-2").launch();
        cluster.node("ingester-2").awaitReady(READY);

        String service = "roll-" + UUID.randomUUID().toString().substring(0, 8);
        long startMs = System.currentTimeMillis();
        Acked acked = new Acked();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger retried = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger pushed = new AtomicInteger();
        Thread load = Thread.ofPlatform().name("steady-push").start(() -> {
            for (int i = 0; running.get(); i++) {
                try {
                    int attempts = pushWithRetries(service, "p-" + service + "-" + i, profile(i, System.currentTimeMillis() * 1_000_000L), i);
                    if (attempts < 0) {
                        failed.incrementAndGet();
                        continue;
                    }
                    if (attempts > 1) {
                        retried.incrementAndGet();
                    }
                    acked.add(i + 1, 7);
                    pushed.incrementAndGet();
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        for (int i = 1; i <= 3; i++) {
            LocalCluster.Node ingester = cluster.node("ingester-" + i);
            ingester.stop();
            ingester.launch();
            ingester.awaitReady(READY);
        }
        Thread.sleep(1000);
        running.set(false);
        load.join();

        assertEquals(0, failed.get(), "pushes that failed even after retries");
        assertTrue(pushed.get() > 20, "steady load pushed " + pushed.get() + " profiles");
        FlameGraph fg = frontendFlameGraph(service, startMs - 60_000L, System.currentTimeMillis() + 60_000L);
        assertEquals(acked.self, FlameGraphAssert.selfByPath(fg),
                "every acknowledged profile exactly once (" + pushed.get() + " pushed, " + retried.get() + " needed a retry)");
    }
}
