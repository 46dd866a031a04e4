package dev.kiln.ingester.head;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.block.BlockSeries;
import dev.kiln.common.block.BlockUploader;
import dev.kiln.common.block.BlockWriter;
import dev.kiln.common.block.BlockWriterConfig;
import dev.kiln.common.block.ParquetBlock;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.model.LabelNames;
import dev.kiln.common.model.Labels;
import dev.kiln.common.model.ProfileTypeId;
import dev.kiln.common.model.Ulid;
import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.query.PprofAccumulator;
import dev.kiln.common.query.ProfileKeySet;
import dev.kiln.common.query.QueryableBlock;
import dev.kiln.common.query.SelectionSpec;
import dev.kiln.common.query.SeriesAccumulator;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.selector.LabelMatcher;
import dev.kiln.common.selector.Selector;
import dev.kiln.common.testing.PprofBuilder;
import dev.kiln.common.tree.CallTree;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Flushes a head block filled from real pprof pushes (several services, sample types, pprof labels
 * that split series, span ids, a re-pushed profile) into a Parquet block and checks that the block
 * answers every query exactly as the head does: the same label sets, the same call trees and pprof
 * profiles (compared as protobuf), the same series points. Queries also run concurrently.
 */
class BlockFromHeadTest {
    private static final String CPU = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    private static final String ALLOC_SPACE = "memory:alloc_space:bytes:space:bytes";
    private static final long T0 = 1_700_000_000_000L;
    private static final String[] SPANS = {"00000000000000a1", "00000000000000b2", "00000000000000c3"};

    @TempDir
    Path tmp;

    static Stream<BlockWriterConfig> configs() {
        return Stream.of(BlockWriterConfig.DEFAULTS, new BlockWriterConfig(4096, 7, 3));
    }

    private static HeadBlock head() {
        HeadBlock head = new HeadBlock(Ulid.generate(), "anonymous", T0, T0 + 3_600_000, new CumulativeDeltas(System::currentTimeMillis));
        Random rnd = new Random(7);
        String[] frames = {"main", "http.serve", "db.query", "json.encode", "gc", "runtime.malloc", "io.read", "auth.check"};
        byte[] repeated = null;
        long repeatedTime = 0;
        for (int i = 0; i < 120; i++) {
            String service = "svc" + rnd.nextInt(4);
            boolean cpu = rnd.nextBoolean();
            long time = (T0 + rnd.nextInt(600_000)) * 1_000_000L;
            PprofBuilder p = cpu ? PprofBuilder.cpu()
                    : new PprofBuilder().sampleType("alloc_objects", "count").sampleType("alloc_space", "bytes")
                            .periodType("space", "bytes").period(512 * 1024);
            p.timeNanos(time);
            for (int s = 0; s < 1 + rnd.nextInt(12); s++) {
                String[] stack = new String[1 + rnd.nextInt(5)];
                stack[0] = "main";
                for (int d = 1; d < stack.length; d++) {
                    stack[d] = frames[1 + rnd.nextInt(frames.length - 1)];
                }
                if (rnd.nextInt(3) == 0) {
                    p.labels(LabelNames.SPAN_ID, SPANS[rnd.nextInt(SPANS.length)]);
                }
                if (rnd.nextInt(5) == 0) {
                    p.labels("endpoint", rnd.nextBoolean() ? "/a" : "/b");
                }
                long v = (1 + rnd.nextInt(5)) * 10_000_000L;
                p.stack(cpu ? new long[] {v} : new long[] {1 + rnd.nextInt(3), v}, stack);
            }
            Labels labels = Labels.of(LabelNames.NAME, cpu ? "process_cpu" : "memory", LabelNames.SERVICE_NAME, service);
            byte[] payload = p.bytes();
            head.append(DecodedProfile.decode(labels, payload, "id-" + i, 0, Map.of(), Limits.DEFAULTS));
            if (i == 10 && cpu) {
                repeated = payload;
                repeatedTime = time;
            }
        }
        if (repeated != null) {
            // a retried push: the head stores it twice, and so must the block
            head.append(DecodedProfile.decode(Labels.of(LabelNames.NAME, "process_cpu", LabelNames.SERVICE_NAME, "svc0"),
                    repeated, "id-10", repeatedTime, Map.of(), Limits.DEFAULTS));
        }
        return head;
    }

    private ParquetBlock flush(HeadBlock head, BlockWriterConfig config) throws Exception {
        Path dir = tmp.resolve("block");
        BlockWriter.write(dir, head.tenant(), head.id(), head.snapshot(), head.symbols(), config);
        FilesystemObjectStore store = new FilesystemObjectStore(tmp.resolve("store"));
        BlockUploader.upload(store, dir);
        return ParquetBlock.open(store, head.tenant(), head.id());
    }

    private static List<TimeRange> ranges() {
        return List.of(TimeRange.ALL, new TimeRange(T0 + 100_000, T0 + 400_000), new TimeRange(T0 + 599_000, T0 + 900_000),
                new TimeRange(T0 - 10_000, T0 - 1));
    }

    private static List<SelectionSpec> specs() {
        List<SelectionSpec> out = new ArrayList<>();
        List<String> selectors = List.of("", "{service_name=\"svc1\"}", "{service_name=~\"svc[23]\"}", "{endpoint=\"/b\"}",
                "{endpoint!=\"/a\", service_name!=\"svc0\"}");
        List<long[]> spans = new ArrayList<>();
        spans.add(null);
        spans.add(new long[] {0xa1L, 0xc3L});
        List<String[]> callSites = new ArrayList<>();
        callSites.add(null);
        callSites.add(new String[] {"main", "db.query"});
        for (String type : List.of(CPU, ALLOC_SPACE)) {
            for (String sel : selectors) {
                for (TimeRange r : ranges()) {
                    for (long[] sp : spans) {
                        for (String[] cs : callSites) {
                            Selector s = Selector.parse(sel).with(LabelMatcher.eq(LabelNames.PROFILE_TYPE, type));
                            out.add(new SelectionSpec(r, ProfileTypeId.parse(type), s, sp, cs));
                        }
                    }
                }
            }
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("configs")
    void blockAnswersLikeTheHead(BlockWriterConfig config) throws Exception {
        HeadBlock head = head();
        ParquetBlock block = flush(head, config);
        // the head counts pushes; the block counts stored rows (one per series a push splits into)
        assertEquals(head.snapshot().stream().mapToLong(BlockSeries::count).sum(), block.profileCount());
        assertEquals(head.minTimeMs(), block.minTimeMs());
        assertEquals(head.maxTimeMs(), block.maxTimeMs());

        List<List<Selector>> selectorSets = List.of(List.of(), List.of(Selector.parse("{service_name=\"svc2\"}")),
                List.of(Selector.parse("{service_name=~\"svc[01]\"}"), Selector.parse("{endpoint=\"/a\"}")));
        for (TimeRange r : ranges()) {
            for (List<Selector> sel : selectorSets) {
                assertEquals(labelNames(head, r, sel), labelNames(block, r, sel));
                for (String name : List.of(LabelNames.SERVICE_NAME, LabelNames.PROFILE_TYPE, "endpoint")) {
                    assertEquals(labelValues(head, r, sel, name), labelValues(block, r, sel, name));
                }
                for (List<String> names : List.of(List.<String>of(), List.of(LabelNames.SERVICE_NAME))) {
                    assertEquals(series(head, r, sel, names), series(block, r, sel, names));
                }
            }
        }

        List<SelectionSpec> specs = specs();
        int nonEmpty = 0;
        for (SelectionSpec spec : specs) {
            Answers expected = Answers.of(head, spec);
            assertEquals(expected, Answers.of(block, spec), () -> describe(spec));
            nonEmpty += expected.tree().getParentCount() > 1 ? 1 : 0;
        }
        assertTrue(nonEmpty > specs.size() / 4, "too few specs select data: " + nonEmpty);

        // the same queries from 4 threads at once, on a freshly opened block (symbols load concurrently)
        ParquetBlock fresh = flush(head, config);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (SelectionSpec spec : specs) {
                futures.add(pool.submit(() -> assertEquals(Answers.of(head, spec), Answers.of(fresh, spec), describe(spec))));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void blockListsTheHeadsKeysAndAggregatesIncludedProfilesLikeIt(BlockWriterConfig config) throws Exception {
        HeadBlock head = head();
        ParquetBlock block = flush(head, config);
        int nonEmpty = 0;
        for (SelectionSpec spec : specs()) {
            ProfileKeySet keys = keys(head, spec);
            assertEquals(keySet(keys), keySet(keys(block, spec)), () -> describe(spec));
            ProfileKeySet everyOther = new ProfileKeySet();
            for (int i = 0; i < keys.size(); i += 2) {
                everyOther.add(keys.seriesFingerprint(i), keys.timeNanos(i), keys.idHash(i));
            }
            for (ProfileKeySet include : List.of(keys, everyOther)) {
                assertEquals(Answers.of(head, spec, include), Answers.of(block, spec, include), () -> describe(spec));
            }
            nonEmpty += keys.size() > 1 ? 1 : 0;
        }
        assertTrue(nonEmpty > specs().size() / 4, "too few specs select profiles: " + nonEmpty);
    }

    private static ProfileKeySet keys(QueryableBlock b, SelectionSpec spec) {
        ProfileKeySet out = new ProfileKeySet();
        b.profileKeys(spec, out);
        return out;
    }

    private static Set<List<Long>> keySet(ProfileKeySet keys) {
        Set<List<Long>> out = new HashSet<>();
        for (int i = 0; i < keys.size(); i++) {
            out.add(List.of(keys.seriesFingerprint(i), keys.timeNanos(i), keys.idHash(i)));
        }
        return out;
    }

    private record Answers(dev.kiln.proto.query.v1.Tree tree, dev.kiln.proto.pprof.Profile pprof,
            dev.kiln.proto.query.v1.SeriesResult series, dev.kiln.proto.query.v1.SeriesResult grouped) {
        static Answers of(QueryableBlock b, SelectionSpec spec) {
            return of(b, spec, null);
        }

        /** The answers restricted to {@code include} (null: all), which each aggregation consumes afresh. */
        static Answers of(QueryableBlock b, SelectionSpec spec, ProfileKeySet include) {
            Supplier<SelectionSpec> fresh = () -> include == null ? spec : spec.including(include);
            CallTree tree = new CallTree();
            b.mergeTree(fresh.get(), tree);
            PprofAccumulator pprof = new PprofAccumulator();
            b.mergePprof(fresh.get(), pprof);
            SeriesAccumulator series = new SeriesAccumulator(T0, 15_000, List.of());
            b.mergeSeries(fresh.get(), series);
            SeriesAccumulator grouped = new SeriesAccumulator(T0, 60_000, List.of(LabelNames.SERVICE_NAME, "endpoint"));
            b.mergeSeries(fresh.get(), grouped);
            return new Answers(tree.toProto(), pprof.build(spec.profileType(), 0, 0), series.toProto(), grouped.toProto());
        }
    }

    private static String describe(SelectionSpec s) {
        return s.profileType().id() + " " + s.selector() + " " + s.range() + " spans=" + java.util.Arrays.toString(s.spanIds())
                + " callSite=" + java.util.Arrays.toString(s.callSite());
    }

    private static Set<String> labelNames(QueryableBlock b, TimeRange r, List<Selector> sel) {
        Set<String> out = new TreeSet<>();
        b.labelNames(r, sel, out);
        return out;
    }

    private static Set<String> labelValues(QueryableBlock b, TimeRange r, List<Selector> sel, String name) {
        Set<String> out = new TreeSet<>();
        b.labelValues(r, sel, name, out);
        return out;
    }

    private static Set<Labels> series(QueryableBlock b, TimeRange r, List<Selector> sel, List<String> names) {
        Set<Labels> out = new HashSet<>();
        b.series(r, sel, names, out);
        return out;
    }
}
