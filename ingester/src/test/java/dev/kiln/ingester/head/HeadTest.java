package dev.kiln.ingester.head;

import static dev.kiln.common.block.TestData.selfByPath;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.block.BlockSeries;
import dev.kiln.common.block.BlockWriter;
import dev.kiln.common.block.BlockWriterConfig;
import dev.kiln.common.block.ParquetBlock;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.model.LabelNames;
import dev.kiln.common.model.Labels;
import dev.kiln.common.model.ProfileTypeId;
import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.query.QueryableBlock;
import dev.kiln.common.query.SelectionSpec;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.selector.Selector;
import dev.kiln.common.testing.PprofBuilder;
import dev.kiln.common.tree.CallTree;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Head blocks of a tenant opened together share one symbol table; each still answers and flushes only its own profiles. */
class HeadTest {
    private static final long HOUR_MS = 3_600_000L;
    private static final long T0 = 1_700_000_000_000L / HOUR_MS * HOUR_MS;
    private static final ProfileTypeId CPU = ProfileTypeId.parse("process_cpu:cpu:nanoseconds:cpu:nanoseconds");

    /** A profile at {@code hour} whose one stack is main;hour{hour};leaf, with {@code value} ns. */
    private static DecodedProfile profile(int hour, long value) {
        PprofBuilder p = PprofBuilder.cpu().timeNanos((T0 + hour * HOUR_MS + 1000) * 1_000_000L);
        p.stack(new long[] {value}, "main", "hour" + hour, "leaf");
        Labels labels = Labels.of(LabelNames.NAME, "process_cpu", LabelNames.SERVICE_NAME, "api");
        return DecodedProfile.decode(labels, p.bytes(), "p-" + hour + "-" + value, 0, Map.of(), Limits.DEFAULTS);
    }

    private static HeadBlock append(Head head, String tenant, int hour, long value) {
        DecodedProfile p = profile(hour, value);
        HeadBlock block = head.blockFor(tenant, p.timeNanos());
        block.append(p);
        return block;
    }

    private static Map<String, Long> flameGraph(QueryableBlock block) {
        CallTree tree = new CallTree();
        block.mergeTree(new SelectionSpec(TimeRange.ALL, CPU, Selector.ALL, null, null), tree);
        return selfByPath(tree);
    }

    @Test
    void blocksOfOneTenantOpenedTogetherShareSymbolsUntilOneIsCut() {
        Head head = new Head(HOUR_MS);
        HeadBlock h0 = append(head, "t", 0, 10);
        HeadBlock h1 = append(head, "t", 1, 20);
        HeadBlock other = append(head, "u", 0, 30);
        assertNotSame(h0, h1);
        assertSame(h0.sharedSymbols(), h1.sharedSymbols(), "two windows of one tenant");
        assertNotSame(h0.sharedSymbols(), other.sharedSymbols(), "tenants never share");

        // Counted once: two blocks' own bytes plus one table.
        assertEquals(h0.ownBytes() + h1.ownBytes() + h0.sharedSymbols().sizeBytes(), Head.sizeBytes(List.of(h0, h1)));
        assertEquals(h0.ownBytes() + h0.sharedSymbols().sizeBytes(), h0.sizeBytes(), "a block's own size includes the table it writes");

        head.remove(h0);
        HeadBlock h0Again = append(head, "t", 0, 40);
        HeadBlock h2 = append(head, "t", 2, 50);
        assertNotSame(h0.sharedSymbols(), h0Again.sharedSymbols(), "a cut block's table takes no new blocks");
        assertSame(h0Again.sharedSymbols(), h2.sharedSymbols());
        assertSame(h0.sharedSymbols(), h1.sharedSymbols(), "blocks keep their table");
    }

    @Test
    void aTableOlderThanABlockDurationTakesNoNewBlocks() throws InterruptedException {
        Head head = new Head(50);
        HeadBlock first = head.blockFor("t", 0);
        Thread.sleep(60);
        HeadBlock later = head.blockFor("t", 100 * 1_000_000L);
        assertNotSame(first.sharedSymbols(), later.sharedSymbols());
    }

    @Test
    void blocksSharingATableFlushOnlyTheirOwnProfiles(@TempDir Path dir) throws Exception {
        Head head = new Head(HOUR_MS);
        HeadBlock h0 = append(head, "t", 0, 10);
        HeadBlock h1 = append(head, "t", 1, 20);
        append(head, "t", 0, 5);
        append(head, "t", 1, 7);
        assertSame(h0.sharedSymbols(), h1.sharedSymbols());
        assertEquals(Map.of("main;hour0;leaf", 15L), flameGraph(h0));
        assertEquals(Map.of("main;hour1;leaf", 27L), flameGraph(h1));

        FilesystemObjectStore store = new FilesystemObjectStore(dir);
        for (HeadBlock b : List.of(h0, h1)) {
            BlockWriter.write(dir.resolve("t").resolve(b.id()), "t", b.id(), b.snapshot(), b.symbols(), BlockWriterConfig.DEFAULTS);
        }
        assertEquals(Map.of("main;hour0;leaf", 15L), flameGraph(ParquetBlock.open(store, "t", h0.id())));
        assertEquals(Map.of("main;hour1;leaf", 27L), flameGraph(ParquetBlock.open(store, "t", h1.id())));
    }

    /**
     * One profile with two sample types, samples split by a label into two series plus the
     * unlabelled rest, stacks that become one after depth truncation, and zero or negative values
     * (dropped): every series of both types holds exactly its own merged samples.
     */
    @Test
    void seriesOfAProfileHoldTheirOwnMergedSamplesForEverySampleType() {
        PprofBuilder b = new PprofBuilder().sampleType("samples", "count").sampleType("cpu", "nanoseconds")
                .periodType("cpu", "nanoseconds").period(10).timeNanos((T0 + 1000) * 1_000_000L);
        b.labels("route", "/a").stack(new long[] {1, 10}, "main", "x", "leaf");
        b.labels("route", "/a").stack(new long[] {2, 20}, "other", "x", "leaf"); // same as the first once cut to 2 frames
        b.labels("route", "/b").stack(new long[] {0, 30}, "main", "y");
        b.labels("route", "/b").stack(new long[] {4, -5}, "main", "z");
        b.stack(new long[] {5, 50}, "main", "w");
        Labels labels = Labels.of(LabelNames.NAME, "process_cpu", LabelNames.SERVICE_NAME, "api");
        Limits d = Limits.DEFAULTS;
        Limits twoFrames = new Limits(d.ingestionRateMb(), d.ingestionBurstSizeMb(), d.maxLabelNameLength(), d.maxLabelValueLength(),
                d.maxLabelNamesPerSeries(), d.maxProfileSizeBytes(), d.maxProfileStacktraceSamples(), 2, d.maxProfileSymbolValueLength(),
                "0s", "0s", d.maxGlobalSeriesPerTenant(), d.maxQueryLength(), d.maxQueryLookback(), d.maxFlameGraphNodesDefault(),
                d.maxFlameGraphNodesMax(), d.maxConcurrentQueries(), d.splitQueriesByInterval(), d.retentionPeriod());
        DecodedProfile p = DecodedProfile.decode(labels, b.bytes(), "p", 0, Map.of(), twoFrames);
        Head head = new Head(HOUR_MS);
        HeadBlock block = head.blockFor("t", p.timeNanos());
        block.append(p);
        p.release();

        Map<String, Map<String, Long>> expected = Map.of(
                "samples:count:{route=/a}", Map.of("x;leaf", 3L),
                "samples:count:{route=/b}", Map.of("main;z", 4L),
                "samples:count:{}", Map.of("main;w", 5L),
                "cpu:nanoseconds:{route=/a}", Map.of("x;leaf", 30L),
                "cpu:nanoseconds:{route=/b}", Map.of("main;y", 30L),
                "cpu:nanoseconds:{}", Map.of("main;w", 50L));
        for (Map.Entry<String, Map<String, Long>> e : expected.entrySet()) {
            String[] key = e.getKey().split(":", 3);
            ProfileTypeId type = ProfileTypeId.parse("process_cpu:" + key[0] + ":" + key[1] + ":cpu:nanoseconds");
            String route = key[2].equals("{}") ? "" : key[2].substring(key[2].indexOf('=') + 1, key[2].length() - 1);
            // The query service adds the profile type to the selector; here it is spelled out.
            Selector selector = Selector.parse("{" + LabelNames.PROFILE_TYPE + "=\"" + type + "\", route=\"" + route + "\"}");
            CallTree tree = new CallTree();
            block.mergeTree(new SelectionSpec(TimeRange.ALL, type, selector, null, null), tree);
            assertEquals(e.getValue(), selfByPath(tree), e.getKey());
        }
        // Stored rows: one per distinct stack, in stack id order, positive values only.
        List<BlockSeries> series = block.snapshot();
        assertEquals(6, series.size());
        int rows = 0;
        for (BlockSeries s : series) {
            int[] stacks = s.stacks()[0];
            for (int i = 0; i < stacks.length; i++) {
                assertTrue(i == 0 || stacks[i - 1] < stacks[i], "sorted, merged: " + Arrays.toString(stacks));
                assertTrue(s.values()[0][i] > 0);
            }
            rows += stacks.length;
        }
        assertEquals(6, rows, "x;leaf twice merged into one row per type; y's 0 and z's -5 dropped");
    }
}
