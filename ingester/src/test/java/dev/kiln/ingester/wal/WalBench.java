package dev.kiln.ingester.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * Write-ahead log throughput: acknowledged appends ("pushes", one push-sized record each) per
 * second with 1, 8 and 64 concurrent writers under each fsync policy. Each {@code always} run is
 * preceded by a measure of the disk's own rate of sequential write+fsync from one thread (the
 * bound of a log without group commit), because on a shared disk that rate drifts.
 *
 * <pre>
 * mvn -B -q -o -pl ingester -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/kiln-ingester-cp.txt
 * java -cp ingester/target/test-classes:ingester/target/classes:common/target/classes:proto/target/classes:$(cat /tmp/kiln-ingester-cp.txt) \
 *     dev.kiln.ingester.wal.WalBench [dir (default ./target/wal-bench)] [payload bytes (default 8192)] [seconds per run (default 5)]
 * </pre>
 */
public final class WalBench {
    private WalBench() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : "target/wal-bench");
        int payloadBytes = args.length > 1 ? Integer.parseInt(args[1]) : 8192;
        long seconds = args.length > 2 ? Long.parseLong(args[2]) : 5;
        Files.createDirectories(root);
        System.out.printf("dir=%s payload=%d bytes, %d s per run%n", root.toAbsolutePath(), payloadBytes, seconds);
        for (FsyncPolicy policy : List.of(FsyncPolicy.ALWAYS, FsyncPolicy.NEVER)) {
            for (int writers : new int[] {1, 8, 64}) {
                String disk = policy == FsyncPolicy.ALWAYS
                        ? String.format("  (disk alone: %.0f write+fsync/s)", rawFsyncRate(root, payloadBytes, Math.max(1, seconds / 2)))
                        : "";
                run(root, policy, writers, payloadBytes, 1); // warm-up
                double rate = run(root, policy, writers, payloadBytes, seconds);
                System.out.printf("fsync=%-6s writers=%2d: %8.0f pushes/s %7.1f MB/s%s%n", policy.configValue(), writers, rate,
                        rate * payloadBytes / 1e6, disk);
            }
        }
    }

    /** Acknowledged appends per second. */
    private static double run(Path root, FsyncPolicy policy, int writers, int payloadBytes, long seconds) throws Exception {
        Path dir = root.resolve("wal");
        delete(dir);
        LongAdder acked = new LongAdder();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        try (Wal wal = Wal.open(dir, WalConfig.DEFAULTS.withFsync(policy), r -> {})) {
            for (int w = 0; w < writers; w++) {
                List<WalRecord> push = List.of(new WalRecord("tenant-" + w, "01JBENCH000000000000000000", 0, new byte[payloadBytes]));
                threads.add(Thread.ofPlatform().start(() -> {
                    while (!stop.get()) {
                        wal.append(push);
                        acked.increment();
                    }
                }));
            }
            long start = System.nanoTime();
            Thread.sleep(seconds * 1000);
            double rate = acked.sum() / ((System.nanoTime() - start) / 1e9);
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            return rate;
        } finally {
            delete(dir);
        }
    }

    private static double rawFsyncRate(Path root, int payloadBytes, long seconds) throws IOException {
        Path file = root.resolve("raw-fsync");
        ByteBuffer payload = ByteBuffer.allocate(payloadBytes);
        long count = 0;
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            while (System.nanoTime() < end) {
                payload.clear();
                while (payload.hasRemaining()) {
                    ch.write(payload);
                }
                ch.force(false);
                count++;
            }
        }
        double rate = count / ((System.nanoTime() - start) / 1e9);
        Files.delete(file);
        return rate;
    }

    private static void delete(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
