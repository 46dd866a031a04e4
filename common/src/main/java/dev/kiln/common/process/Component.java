package dev.kiln.common.process;

import dev.kiln.common.config.ConfigException;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Kiln's components, in the order a process builds them, with the configuration sections each one
 * owns. A component's jar holds only its own classes, yet operators hand every component the same
 * kiln.yaml: keys in a section of a component that is not in the jar are ignored rather than
 * rejected, while typos anywhere else still fail the start.
 */
public enum Component {
    INGESTER(List.of("pyroscopedb.")),
    DISTRIBUTOR(List.of("distributor.", "scrape_configs")),
    STORE_GATEWAY(List.of("store_gateway.sync_interval", "store_gateway.max_open_blocks", "store_gateway.read_rollups")),
    QUERIER(List.of("querier.")),
    QUERY_FRONTEND(List.of("frontend.", "query_frontend.")),
    COMPACTOR(List.of("compactor.")),
    /** Launcher-only features (self-profiling), run with the distributor when the launcher's jar is used. */
    LAUNCHER(List.of("self_profiling."));

    private final List<String> configSections;

    Component(List<String> configSections) {
        this.configSections = configSections;
    }

    /** The name used in {@code -target}, e.g. {@code query-frontend}. */
    public String target() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** YAML path prefixes of this component's own keys. */
    public List<String> configSections() {
        return configSections;
    }

    /** The components that {@code -target} values select ({@code all} is every one). */
    public static Set<Component> parseTargets(String value) {
        Set<Component> out = EnumSet.noneOf(Component.class);
        for (String part : value.split(",")) {
            String name = part.strip();
            if (name.isEmpty()) {
                continue;
            }
            if (name.equals("all")) {
                out.addAll(EnumSet.allOf(Component.class));
                continue;
            }
            Component match = null;
            for (Component c : values()) {
                if (c != LAUNCHER && c.target().equals(name)) {
                    match = c;
                }
            }
            if (match == null) {
                throw new ConfigException("unknown -target '" + name
                        + "': supported: all, ingester, distributor, store-gateway, querier, query-frontend, compactor");
            }
            out.add(match);
        }
        if (out.isEmpty()) {
            throw new ConfigException("-target must name at least one component");
        }
        if (out.contains(DISTRIBUTOR)) {
            out.add(LAUNCHER);
        }
        return out;
    }
}
