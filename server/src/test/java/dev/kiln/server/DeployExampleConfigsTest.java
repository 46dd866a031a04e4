package dev.kiln.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigLoader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The kiln.yaml files shipped under deploy/ are configurations Kiln accepts, with the paths their runners expect. */
class DeployExampleConfigsTest {
    private static final Path DEPLOY = Path.of("..", "deploy");

    private static Config load(String file) {
        return new ConfigLoader(Kiln.keys()).load(new String[] {"-config.file=" + DEPLOY.resolve(file)}, name -> null);
    }

    @Test
    void dockerImageConfigKeepsAllStateOnTheDataVolume() {
        Config config = load("docker/kiln.yaml");
        assertEquals("all", config.getString("target"));
        assertEquals("/data", config.getString("pyroscopedb.data_path"));
        assertEquals("filesystem", config.getString("storage.backend"));
        assertEquals("/data/storage", config.getString("storage.filesystem.dir"));
        assertEquals(4040, config.getInt("server.http_listen_port"));
        assertEquals(9095, config.getInt("server.grpc_listen_port"));
        assertEquals("0.0.0.0:4317", config.getString("distributor.receivers.otlp.protocols.grpc.endpoint"));
    }

    @Test
    void localConfigKeepsStateUnderTheIgnoredDataDirectory() {
        Config config = load("local/kiln.yaml");
        assertEquals("all", config.getString("target"));
        assertEquals(".kiln-data/local", config.getString("pyroscopedb.data_path"));
        assertEquals(".kiln-data/local/storage", config.getString("storage.filesystem.dir"));
        assertEquals("interval", config.getString("pyroscopedb.wal.fsync"));
        assertEquals("127.0.0.1:4317", config.getString("distributor.receivers.otlp.protocols.grpc.endpoint"));
    }
}
