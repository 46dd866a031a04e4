package dev.kiln.server;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ConfigLoader;
import dev.kiln.common.config.ConfigReference;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code bin/kiln}: parses flags and the YAML file, runs the process until it is signalled. */
public final class Main {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    private Main() {}

    public static void main(String[] args) {
        if (Arrays.asList(args).contains("-help") || Arrays.asList(args).contains("--help")) {
            System.out.println("Usage: kiln [-config.file=kiln.yaml] [-config.expand-env] [-flag=value ...]\n");
            System.out.println(ConfigReference.markdown(Kiln.keys()));
            return;
        }
        Kiln kiln;
        try {
            Config config = new ConfigLoader(Kiln.keys()).load(args, System::getenv);
            kiln = new Kiln(config);
        } catch (ConfigException e) {
            System.err.println("kiln: " + e.getMessage());
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.atInfo().log("shutting down");
            kiln.close();
        }, "kiln-shutdown"));
        try {
            kiln.start();
        } catch (RuntimeException e) {
            log.atError().setCause(e).log("startup failed");
            System.exit(1);
        }
    }
}
