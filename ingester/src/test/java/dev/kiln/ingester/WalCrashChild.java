package dev.kiln.ingester;

import dev.kiln.ingester.wal.WalConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The process {@link WalCrashIT} kills: an ingester on the given data directory that pushes from
 * several threads until it is killed, printing {@code ACK <seq>} after each push was acknowledged.
 * Profile {@code seq} is alone in the series labelled {@code seq} and totals {@code 1000 + seq}.
 */
public final class WalCrashChild {
    static final int WRITERS = 4;

    private WalCrashChild() {}

    public static void main(String[] args) {
        Ingester ingester = WalTestIngesters.start(Path.of(args[0]), WalConfig.DEFAULTS);
        long now = System.currentTimeMillis() * 1_000_000L;
        AtomicInteger next = new AtomicInteger();
        PrintStream out = System.out;
        for (int w = 0; w < WRITERS; w++) {
            Thread.ofPlatform().name("pusher-" + w).start(() -> {
                while (true) {
                    int seq = next.getAndIncrement();
                    ingester.push("crash-tenant", WalTestIngesters.push(WalTestIngesters.series("svc", seq, now, 1000 + seq)));
                    synchronized (out) {
                        out.println("ACK " + seq);
                        out.flush();
                    }
                }
            });
        }
    }
}
