package dev.kiln.server;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.process.KilnProcess;
import dev.kiln.common.server.KilnServer;
import dev.kiln.distributor.otlp.OtlpReceiver;
import dev.kiln.ingester.Ingester;
import java.util.List;

/**
 * The launcher's process: any {@code -target} set of the components on its class path (all of
 * them), with {@code all} — the single binary — as the default.
 */
public final class Kiln implements AutoCloseable {
    private final KilnProcess process;

    public Kiln(Config config) {
        process = KilnProcess.create(config);
    }

    /** Every configuration key of the launcher, for the loader and the generated reference. */
    public static List<ConfigKey> keys() {
        return KilnProcess.keys(KilnProcess.modules());
    }

    public void start() {
        process.start();
    }

    public KilnServer server() {
        return process.context().server();
    }

    /** The in-process ingester, for tools that need to flush its head on demand (the benchmark). */
    public Ingester ingester() {
        return process.context().lookup(Ingester.class)
                .orElseThrow(() -> new IllegalStateException("this process does not run an ingester"));
    }

    /** The dedicated OTLP gRPC port, or -1 when it is disabled or no distributor runs here. */
    public int otlpGrpcPort() {
        return process.context().lookup(OtlpReceiver.class).map(OtlpReceiver::grpcPort).orElse(-1);
    }

    @Override
    public void close() {
        process.close();
    }
}
