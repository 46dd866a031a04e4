package dev.kiln.distributor.scrape;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScrapeConfigTest {
    static List<ScrapeTarget> targets(String yaml) throws Exception {
        var node = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        return ScrapeConfig.targets(Config.defaults(ScrapeConfig.KEYS, Map.of(ScrapeConfig.KEY, node)));
    }

    static Map<String, ScrapeTarget> byUrl(List<ScrapeTarget> targets) {
        Map<String, ScrapeTarget> m = new LinkedHashMap<>();
        targets.forEach(t -> m.put(t.url().toString(), t));
        return m;
    }

    @Test
    void defaultsScrapeGoNetHttpPprof() throws Exception {
        Map<String, ScrapeTarget> t = byUrl(targets("""
                - job_name: checkout
                  static_configs:
                    - targets: [app-1:6060]
                      labels: {env: prod}
                """));

        assertEquals(List.of("http://app-1:6060/debug/pprof/profile?seconds=14", "http://app-1:6060/debug/pprof/heap",
                "http://app-1:6060/debug/pprof/mutex", "http://app-1:6060/debug/pprof/block",
                "http://app-1:6060/debug/pprof/goroutine"), List.copyOf(t.keySet()));
        ScrapeTarget cpu = t.get("http://app-1:6060/debug/pprof/profile?seconds=14");
        assertEquals("{__delta__=\"false\", __name__=\"process_cpu\", env=\"prod\", instance=\"app-1:6060\", job=\"checkout\", "
                + "service_name=\"checkout\"}", cpu.labels().toString());
        assertEquals(Duration.ofSeconds(15), cpu.interval());
        assertEquals(Duration.ofSeconds(24), cpu.timeout(), "the timeout covers the profiling time");
        assertEquals("anonymous", cpu.tenant());
        ScrapeTarget heap = t.get("http://app-1:6060/debug/pprof/heap");
        assertEquals("{__name__=\"memory\", env=\"prod\", instance=\"app-1:6060\", job=\"checkout\", service_name=\"checkout\"}",
                heap.labels().toString(), "cumulative: no __delta__, the ingesters compute deltas");
        assertEquals(Duration.ofSeconds(10), heap.timeout());
    }

    @Test
    void profilesMergeOverTheDefaults() throws Exception {
        Map<String, ScrapeTarget> t = byUrl(targets("""
                - job_name: api
                  scrape_interval: 30s
                  scrape_timeout: 5s
                  delta_profiling_duration: 10s
                  scheme: https
                  tenant_id: team-a
                  static_configs:
                    - targets: [10.0.0.1:8080]
                      labels: {service_name: api-server}
                  profiles:
                    mutex: {enabled: false}
                    block: {enabled: false}
                    goroutine: {enabled: false}
                    memory: {path: /debug/pprof/allocs}
                    godeltaprof_mutex: {}
                    fgprof: {path: /debug/fgprof, delta: true}
                """));

        assertEquals(List.of("https://10.0.0.1:8080/debug/pprof/profile?seconds=10", "https://10.0.0.1:8080/debug/pprof/allocs",
                "https://10.0.0.1:8080/debug/pprof/delta_mutex", "https://10.0.0.1:8080/debug/fgprof?seconds=10"),
                List.copyOf(t.keySet()));
        ScrapeTarget delta = t.get("https://10.0.0.1:8080/debug/pprof/delta_mutex");
        assertEquals("godeltaprof_mutex", delta.labels().get("__name__"));
        assertEquals("false", delta.labels().get("__delta__"));
        assertEquals("api-server", delta.labels().get("service_name"));
        assertEquals("team-a", delta.tenant());
        assertEquals(Duration.ofSeconds(15), t.get("https://10.0.0.1:8080/debug/fgprof?seconds=10").timeout());
    }

    @Test
    void mistakesAreNamed() {
        assertEquals("scrape_configs[0]: job_name is required", assertThrows(ConfigException.class,
                () -> targets("- static_configs: [{targets: [a:1]}]")).getMessage());
        assertEquals("scrape_configs[0]: target 'http://a:1' must be host:port", assertThrows(ConfigException.class,
                () -> targets("- {job_name: j, static_configs: [{targets: ['http://a:1']}]}")).getMessage());
        assertTrue(assertThrows(ConfigException.class,
                () -> targets("- {job_name: j, scrape_interval: 1s, static_configs: [{targets: [a:1]}]}")).getMessage()
                .contains("process_cpu is a delta profile"));
        assertEquals("scrape_configs[0]: profile custom needs a path starting with /", assertThrows(ConfigException.class,
                () -> targets("- {job_name: j, static_configs: [{targets: [a:1]}], profiles: {custom: {}}}")).getMessage());
        assertTrue(assertThrows(ConfigException.class,
                () -> targets("- {job_name: j, interval: 5s, static_configs: [{targets: [a:1]}]}")).getMessage()
                .contains("\"interval\""), "unknown fields are named");
    }
}
