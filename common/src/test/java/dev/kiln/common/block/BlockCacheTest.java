package dev.kiln.common.block;

import static dev.kiln.common.block.TestData.CPU;
import static dev.kiln.common.block.TestData.labels;
import static dev.kiln.common.block.TestData.select;
import static dev.kiln.common.block.TestData.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.tree.CallTree;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockCacheTest {
    @TempDir
    Path tmp;

    @Test
    void keepsTheMostRecentlyUsedEntriesWithinItsCapacity() {
        BlockCache cache = new BlockCache(100);
        Object a = new Object();
        Object b = new Object();
        Object c = new Object();
        cache.put(a, 40);
        cache.put(b, 40);
        assertTrue(cache.touch(a), "a is now the most recently used");
        cache.put(c, 40);
        assertEquals(80, cache.usedBytes());
        assertFalse(cache.touch(b), "b, least recently used, made room for c");
        assertTrue(cache.touch(a));
        assertTrue(cache.touch(c));
        assertEquals(1, cache.evictions());

        cache.resize(50);
        assertEquals(40, cache.usedBytes());
        assertFalse(cache.touch(a));
        assertTrue(cache.touch(c));
        cache.put(new Object(), 500);
        assertEquals(0, cache.usedBytes(), "an entry larger than the cache is not kept (nor anything else)");
    }

    @Test
    void aBlockWhoseSymbolsWereEvictedIsCachedAgainAndAnswersTheSame() throws Exception {
        SymbolTable t = new SymbolTable();
        int[] stacks = {stack(t, "main", "a", "b"), stack(t, "main", "c")};
        TestData.SeriesBuilder b = new TestData.SeriesBuilder(labels(CPU, "api"));
        b.profile(1000, "p1", new long[] {stacks[0], 5, stacks[1], 7});
        b.profile(2000, "p2", new long[] {stacks[0], 11});
        CountingObjectStore store = new CountingObjectStore(new FilesystemObjectStore(tmp.resolve("store")));
        ParquetBlock written = TestData.writeAndOpen(tmp, store, "t", List.of(b.build()), t.publish(), BlockWriterConfig.DEFAULTS);
        ParquetBlock block = ParquetBlock.open(store, "t", written.meta().id());
        long capacity = BlockCache.shared().capacityBytes();
        try {
            CallTree first = new CallTree();
            block.mergeTree(select(CPU, "{}", TimeRange.ALL), first);
            store.takeReads();
            CallTree cached = new CallTree();
            block.mergeTree(select(CPU, "{}", TimeRange.ALL), cached);
            assertTrue(store.takeReads().stream().noneMatch(r -> r.key().contains("symbols/")), "kept: no symbol file read again");

            BlockCache.shared().resize(0);
            assertEquals(0, BlockCache.shared().usedBytes(), "everything evicted: only the block's weak references are left");
            BlockCache.shared().resize(capacity);
            CallTree reloaded = new CallTree();
            block.mergeTree(select(CPU, "{}", TimeRange.ALL), reloaded);
            assertTrue(BlockCache.shared().usedBytes() > 0, "the next query keeps them again (reloaded, or reused if not yet collected)");
            assertEquals(23, first.total());
            assertEquals(first.toProto(), cached.toProto());
            assertEquals(first.toProto(), reloaded.toProto());
        } finally {
            BlockCache.shared().resize(capacity);
        }
    }
}
