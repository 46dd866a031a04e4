package dev.kiln.ingester;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.ingester.head.HeadBlock;
import dev.kiln.ingester.wal.WalConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * No acknowledged profile is lost: a child JVM pushes with fsync=always and is killed with SIGKILL
 * mid-stream; a new ingester on its data directory replays the log and answers every profile the
 * child had acknowledged with its exact total.
 */
class WalCrashIT {
    private static final int ACKS_BEFORE_KILL = 300;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES) // guards against a stuck child only
    void everyAcknowledgedProfileSurvivesSigkill() throws Exception {
        Path data = tmp.resolve("data");
        Path childLog = tmp.resolve("child-stderr.txt");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                WalCrashChild.class.getName(), data.toString())
                .redirectError(childLog.toFile())
                .start();
        List<Integer> acked = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith("ACK ")) {
                    acked.add(Integer.parseInt(line.substring(4)));
                    if (acked.size() == ACKS_BEFORE_KILL) {
                        // SIGKILL: no shutdown hooks, no close of the log. Through the handle, unlike
                        // Process.destroyForcibly, the pipe stays open: acks already printed are read on.
                        child.toHandle().destroyForcibly();
                    }
                }
            }
        }
        child.waitFor();
        if (acked.size() < ACKS_BEFORE_KILL) {
            fail("child exited after " + acked.size() + " acks: " + Files.readString(childLog));
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL");

        Ingester restarted = WalTestIngesters.start(data, WalConfig.DEFAULTS);
        try {
            for (int seq : acked) {
                assertEquals(1000 + seq, WalTestIngesters.total(restarted, "crash-tenant", "{seq=\"" + seq + "\"}"), "profile " + seq);
            }
            long profiles = restarted.head().blocks("crash-tenant").stream().mapToLong(HeadBlock::profileCount).sum();
            // Pushes in flight at the kill may or may not have been logged, but none twice.
            assertTrue(profiles >= acked.size() && profiles <= acked.size() + WalCrashChild.WRITERS,
                    profiles + " profiles replayed for " + acked.size() + " acknowledged");
        } finally {
            restarted.stopAsync().awaitTerminated();
        }
    }
}
