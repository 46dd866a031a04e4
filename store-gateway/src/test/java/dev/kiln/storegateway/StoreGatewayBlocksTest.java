package dev.kiln.storegateway;

import static dev.kiln.common.block.TestData.CPU;
import static dev.kiln.common.block.TestData.labels;
import static dev.kiln.common.block.TestData.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.common.block.BlockWriterConfig;
import dev.kiln.common.block.ParquetBlock;
import dev.kiln.common.block.TestData;
import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.query.QueryableBlock;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.symbols.SymbolTable;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which blocks the store-gateway queries: those overlapping the range, and only the requested ids when a querier names some. */
class StoreGatewayBlocksTest {
    @TempDir
    Path tmp;

    private ParquetBlock block(FilesystemObjectStore store, long timeMs) throws Exception {
        SymbolTable t = new SymbolTable();
        int s = stack(t, "main");
        return TestData.writeAndOpen(tmp, store, "t", List.of(new TestData.SeriesBuilder(labels(CPU, "api")).profile(timeMs, "p", s, 1).build()),
                t.publish(), BlockWriterConfig.DEFAULTS);
    }

    private static Set<String> ids(List<QueryableBlock> blocks) {
        return Set.copyOf(blocks.stream().map(b -> ((ParquetBlock) b).meta().id()).toList());
    }

    @Test
    void servesOnlyTheRequestedBlocks() throws Exception {
        FilesystemObjectStore store = new FilesystemObjectStore(tmp.resolve("store"));
        String early = block(store, 1000).meta().id();
        String late = block(store, 5000).meta().id();
        StoreGateway gateway = new StoreGateway(new StoreGatewayConfig(Duration.ofMinutes(1), 10, true), store, new SimpleMeterRegistry(),
                Runnable::run, dev.kiln.common.memory.QueryMemoryBudget.unlimited());
        gateway.sync();

        assertEquals(Set.of(early, late), ids(gateway.blocks("t", TimeRange.ALL, Set.of())));
        assertEquals(Set.of(late), ids(gateway.blocks("t", TimeRange.ALL, Set.of(late, "not-here"))));
        assertEquals(Set.of(), ids(gateway.blocks("t", new TimeRange(0, 2000), Set.of(late))));
        assertEquals(Set.of(early), ids(gateway.blocks("t", new TimeRange(0, 2000), Set.of())));
    }
}
