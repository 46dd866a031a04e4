package dev.kiln.ingester;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.block.BlockMeta;
import dev.kiln.common.block.ParquetBlock;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.query.QueryableBlock;
import dev.kiln.common.query.SelectionSpec;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.selector.Selector;
import dev.kiln.common.tree.CallTree;
import dev.kiln.ingester.wal.WalConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Head blocks become Parquet blocks in object storage without a profile lost or counted twice. */
class FlushTest {
    @TempDir
    Path dir;
    FilesystemObjectStore store;
    Ingester ingester;

    Ingester start(IngesterConfig config) {
        store = new FilesystemObjectStore(dir.resolve("bucket"));
        ingester = new Ingester(config, t -> Limits.DEFAULTS.withoutTimeWindow(), store, new SimpleMeterRegistry(), Runnable::run,
                dev.kiln.common.memory.QueryMemoryBudget.unlimited());
        ingester.startAsync().awaitRunning();
        return ingester;
    }

    IngesterConfig config() {
        return IngesterConfig.of(dir.resolve("data"), Duration.ofHours(1), WalConfig.DEFAULTS).withFlushOnShutdown(false);
    }

    @AfterEach
    void stop() {
        if (ingester != null && ingester.isRunning()) {
            ingester.stopAsync().awaitTerminated();
        }
    }

    static long total(Ingester ingester, String tenant) {
        CallTree tree = new CallTree();
        SelectionSpec spec = new SelectionSpec(TimeRange.ALL, WalTestIngesters.CPU, Selector.ALL, null, null);
        for (QueryableBlock b : ingester.queryable(tenant)) {
            b.mergeTree(spec, tree);
        }
        return tree.total();
    }

    @Test
    void anEndedWindowIsFlushedUploadedAndStillAnswersQueriesOnce() throws Exception {
        Ingester ing = start(config());
        long now = System.currentTimeMillis();
        long old = (now - 3 * 3_600_000L) * 1_000_000L;
        for (int i = 0; i < 20; i++) {
            ing.push("t", WalTestIngesters.push(WalTestIngesters.series("api", i, old, 100 + i)));
        }
        ing.push("t", WalTestIngesters.push(WalTestIngesters.series("api", 99, now * 1_000_000L, 7)));
        long before = total(ing, "t");
        assertEquals(20 * 100 + 190 + 7, before);

        ing.flushDue(now);

        assertEquals(1, ing.head().blocks("t").size(), "only the current window stays in the head");
        assertEquals(before, total(ing, "t"), "the flushed block answers in place of the head block");
        List<String> blocks = store.listPrefixes("t/");
        assertEquals(1, blocks.size(), "one block uploaded: " + blocks);
        ParquetBlock uploaded = ParquetBlock.open(store, "t", blocks.getFirst().replace("t/", "").replace("/", ""));
        BlockMeta meta = uploaded.meta();
        assertEquals(20, meta.stats().numProfiles());
        CallTree tree = new CallTree();
        uploaded.mergeTree(new SelectionSpec(TimeRange.ALL, WalTestIngesters.CPU, Selector.ALL, null, null), tree);
        assertEquals(20 * 100 + 190, tree.total());

        // A restart serves the local block and does not replay its profiles into the head again.
        ing.stopAsync().awaitTerminated();
        Ingester again = start(config());
        assertEquals(before, total(again, "t"));
        assertEquals(1, again.head().blocks("t").size());
    }

    @Test
    void oversizedBlocksAreFlushedBeforeTheirWindowEnds() throws Exception {
        IngesterConfig c = config();
        IngesterConfig small = new IngesterConfig(c.dataPath(), c.maxBlockDuration(), c.wal(), c.flushCheckPeriod(),
                new dev.kiln.ingester.flush.Flusher.Settings(c.flush().flushGrace(), 1, 0, c.flush().localRetention()), false);
        Ingester ing = start(small);
        long now = System.currentTimeMillis();
        ing.push("t", WalTestIngesters.push(WalTestIngesters.series("api", 1, now * 1_000_000L, 5)));
        ing.flushDue(now);
        assertEquals(0, ing.head().blocks("t").size());
        assertEquals(5, total(ing, "t"));
        ing.push("t", WalTestIngesters.push(WalTestIngesters.series("api", 2, now * 1_000_000L, 6)));
        assertEquals(11, total(ing, "t"), "later pushes of the window open a new head block");
        ing.flushDue(now);
        assertEquals(2, store.listPrefixes("t/").size());
        assertEquals(11, total(ing, "t"));
    }

    @Test
    void aPushOverTheHeadLimitFlushesWithoutWaitingForTheCheckPeriod() throws Exception {
        IngesterConfig c = config();
        IngesterConfig small = new IngesterConfig(c.dataPath(), c.maxBlockDuration(), c.wal(), Duration.ofHours(1),
                new dev.kiln.ingester.flush.Flusher.Settings(c.flush().flushGrace(), 0, 1, c.flush().localRetention()), false);
        Ingester ing = start(small);
        long now = System.currentTimeMillis();
        ing.push("t", WalTestIngesters.push(WalTestIngesters.series("api", 1, now * 1_000_000L, 5)));
        // The next periodic check is an hour away: only the push itself can have started this flush.
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (store.listPrefixes("t/").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(1, store.listPrefixes("t/").size());
        assertEquals(5, total(ing, "t"));
    }

    @Test
    void localBlocksExpireAfterTheirRetention() throws Exception {
        Ingester ing = start(config());
        long now = System.currentTimeMillis();
        long old = (now - 10 * 3_600_000L) * 1_000_000L;
        ing.push("t", WalTestIngesters.push(WalTestIngesters.series("api", 1, old, 5)));
        ing.flushDue(now);
        assertEquals(0, total(ing, "t"), "older than query_store_after + window + grace: left to store-gateways");
        assertEquals(1, store.listPrefixes("t/").size(), "but it is in object storage");
        assertTrue(Files.list(dir.resolve("data/blocks/t")).findAny().isEmpty());
    }
}
