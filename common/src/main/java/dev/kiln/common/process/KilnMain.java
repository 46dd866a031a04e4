package dev.kiln.common.process;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ConfigLoader;
import dev.kiln.common.config.ConfigReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command line of every Kiln jar: parses flags and the YAML file, builds the process from the
 * modules on the class path and runs it until the JVM is signalled (SIGTERM stops the components
 * gracefully: an ingester leaves its ring and flushes before exiting).
 */
public final class KilnMain {
    private static final Logger log = LoggerFactory.getLogger(KilnMain.class);

    private KilnMain() {}

    /**
     * @param component for a component's own jar, the component it runs unless {@code -target}
     *     says otherwise; null for the launcher, whose default target is {@code all}
     */
    public static void run(String[] args, Component component, String command) {
        List<KilnModule> modules = KilnProcess.modules();
        if (Arrays.asList(args).contains("-help") || Arrays.asList(args).contains("--help")) {
            System.out.println("Usage: " + command + " [-config.file=kiln.yaml] [-config.expand-env] [-flag=value ...]\n");
            System.out.println(ConfigReference.markdown(KilnProcess.keys(modules)));
            return;
        }
        List<String> effective = new ArrayList<>(Arrays.asList(args));
        if (component != null && effective.stream().noneMatch(a -> a.startsWith("-target") || a.startsWith("--target"))) {
            effective.add(0, "-target=" + component.target());
        }
        KilnProcess process;
        try {
            Config config = new ConfigLoader(KilnProcess.keys(modules), KilnProcess.foreignSections(modules))
                    .load(effective.toArray(String[]::new), System::getenv);
            process = KilnProcess.create(config);
        } catch (ConfigException e) {
            System.err.println(command + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.atInfo().log("shutting down");
            process.close();
        }, "kiln-shutdown"));
        try {
            process.start();
        } catch (RuntimeException e) {
            log.atError().setCause(e).log("startup failed");
            System.exit(1);
        }
    }
}
