package dev.kiln.distributor.otlp;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import dev.kiln.common.otlp.OtlpReceiverConfig;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Settings of the OTLP profiles receiver. Its gRPC service and the OTLP/HTTP path are always
 * served on the HTTP port (as Pyroscope does); the gRPC service is also served on its own port.
 *
 * @param grpcEndpoint {@code distributor.receivers.otlp.protocols.grpc.endpoint}, default
 *     {@code 0.0.0.0:4317}: {@code host:port} of the dedicated OTLP gRPC listener; empty disables
 *     it, port 0 picks a free port
 * @param receiver {@code distributor.receivers.otlp.sample_rate} (default 1.0: keep every
 *     profile) and {@code distributor.receivers.otlp.max_output_references} (default 10,000,000)
 */
public record OtlpConfig(String grpcEndpoint, OtlpReceiverConfig receiver) {
    static final String ENDPOINT = "distributor.receivers.otlp.protocols.grpc.endpoint";
    static final String SAMPLE_RATE = "distributor.receivers.otlp.sample_rate";
    static final String MAX_OUTPUT_REFERENCES = "distributor.receivers.otlp.max_output_references";

    public static final List<ConfigKey> KEYS = List.of(
            ConfigKey.of(ENDPOINT, ConfigType.STRING, "0.0.0.0:4317",
                    "host:port of the dedicated OTLP gRPC listener for ProfilesService/Export (also served on the HTTP port). "
                            + "Empty disables it; port 0 picks a free port."),
            ConfigKey.of(SAMPLE_RATE, ConfigType.DOUBLE, OtlpReceiverConfig.DEFAULT_SAMPLE_RATE,
                    "Fraction of OTLP profiles kept, in [0, 1]; the decision is a function of the profile id, so every "
                            + "replica and retry decides the same way."),
            ConfigKey.of(MAX_OUTPUT_REFERENCES, ConfigType.LONG, OtlpReceiverConfig.DEFAULT_MAX_OUTPUT_REFERENCES,
                    "Most frame references and labels the pprof profiles converted from one OTLP request may hold "
                            + "(OTLP's shared dictionary lets a small request describe a huge profile)."));

    public static OtlpConfig from(Config c) {
        OtlpReceiverConfig receiver;
        try {
            receiver = new OtlpReceiverConfig(c.getDouble(SAMPLE_RATE), c.getLong(MAX_OUTPUT_REFERENCES));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        OtlpConfig config = new OtlpConfig(c.getString(ENDPOINT).strip(), receiver);
        config.grpcAddress();
        return config;
    }

    /** The dedicated gRPC listener's address, or null when it is disabled. */
    InetSocketAddress grpcAddress() {
        if (grpcEndpoint.isEmpty()) {
            return null;
        }
        int colon = grpcEndpoint.lastIndexOf(':');
        if (colon < 0) {
            throw new ConfigException(ENDPOINT + ": expected host:port, got '" + grpcEndpoint + "'");
        }
        String host = grpcEndpoint.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(grpcEndpoint.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException(ENDPOINT + ": invalid port in '" + grpcEndpoint + "'");
        }
        if (port < 0 || port > 65535) {
            throw new ConfigException(ENDPOINT + ": port " + port + " is out of range");
        }
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }
}
