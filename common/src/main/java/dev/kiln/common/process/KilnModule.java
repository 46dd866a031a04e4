package dev.kiln.common.process;

import dev.kiln.common.config.ConfigKey;
import java.util.List;

/**
 * One component a Kiln process can run ({@code -target=<name>}), found with
 * {@link java.util.ServiceLoader}: each component module registers its module in
 * {@code META-INF/services/dev.kiln.common.process.KilnModule}, so a component's own jar runs just
 * that component and the launcher's jar can run any set of them.
 */
public interface KilnModule {
    /** The component this module runs. */
    Component component();

    /** This component's configuration keys (shared keys such as rings and limits are the process's). */
    List<ConfigKey> keys();

    /**
     * Builds the component into {@code process}: registers its services, routes and internal APIs.
     * Called before the server starts, in {@link Component} order.
     */
    void init(ProcessContext process);
}
