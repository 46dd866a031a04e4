package dev.kiln.common.server;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import java.time.Duration;
import java.util.List;

/**
 * The process's listeners. Port 4040 answers HTTP/1.1 and cleartext HTTP/2 with Connect, gRPC and
 * plain HTTP on the same paths as Pyroscope; port 9095 carries Kiln's internal gRPC services.
 */
public record ServerConfig(
        String httpListenAddress,
        int httpListenPort,
        String grpcListenAddress,
        int grpcListenPort,
        long maxRequestBytes,
        int grpcMaxRecvMsgSize,
        Duration requestTimeout,
        boolean multitenancyEnabled) {

    public static final List<ConfigKey> KEYS = List.of(
            ConfigKey.of("server.http_listen_address", ConfigType.STRING, "", "HTTP listen address; empty listens on all interfaces."),
            ConfigKey.of("server.http_listen_port", ConfigType.INT, 4040, "HTTP port: Connect, gRPC (h2c), the ingest API, the UI and operational pages. 0 picks a free port."),
            ConfigKey.of("server.grpc_listen_address", ConfigType.STRING, "", "gRPC listen address for Kiln's internal services; empty listens on all interfaces."),
            ConfigKey.of("server.grpc_listen_port", ConfigType.INT, 9095, "gRPC port for internal services between components. 0 picks a free port."),
            ConfigKey.of("server.http_max_request_bytes", ConfigType.LONG, 256L << 20, "Largest HTTP request body accepted, enforced while streaming (413 beyond it)."),
            ConfigKey.of("server.grpc_server_max_recv_msg_size", ConfigType.INT, 100 << 20, "Largest gRPC message accepted."),
            ConfigKey.of("server.http_request_timeout", ConfigType.DURATION, Duration.ofMinutes(2), "Time limit for one HTTP or gRPC request."),
            ConfigKey.of("multitenancy_enabled", ConfigType.BOOLEAN, false,
                    "Require the X-Scope-OrgID header (401/unauthenticated without it). When false every request belongs to tenant 'anonymous'.")
                    .withFlag("auth.multitenancy-enabled"));

    public static ServerConfig from(Config c) {
        return new ServerConfig(
                c.getString("server.http_listen_address"),
                c.getInt("server.http_listen_port"),
                c.getString("server.grpc_listen_address"),
                c.getInt("server.grpc_listen_port"),
                c.getLong("server.http_max_request_bytes"),
                c.getInt("server.grpc_server_max_recv_msg_size"),
                c.getDuration("server.http_request_timeout"),
                c.getBoolean("multitenancy_enabled"));
    }
}
