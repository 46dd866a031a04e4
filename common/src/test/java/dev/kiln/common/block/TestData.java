package dev.kiln.common.block;

import dev.kiln.common.model.Labels;
import dev.kiln.common.model.Ulid;
import dev.kiln.common.objstore.ObjectStore;
import dev.kiln.common.model.ProfileTypeId;
import dev.kiln.common.query.SelectionSpec;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.selector.LabelMatcher;
import dev.kiln.common.selector.Selector;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.symbols.Symbols;
import dev.kiln.common.tree.CallTree;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Builds series with known stacks and values, and reads query results back as plain maps. */
public final class TestData {
    public static final String CPU = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
    static final String ALLOC = "memory:alloc_space:bytes:space:bytes";
    public static final long MS = 1_000_000L;

    private TestData() {}

    public static Labels labels(String profileType, String service) {
        ProfileTypeId t = ProfileTypeId.parse(profileType);
        return Labels.of("__name__", t.name(), "__profile_type__", profileType, "service_name", service);
    }

    /** Interns a stack given root-first function names; returns its stack id. */
    public static int stack(SymbolTable t, String... rootFirst) {
        int node = 0;
        for (String fn : rootFirst) {
            int name = t.internString(fn);
            int function = t.internFunction(name, name, t.internString(fn + ".go"), 1);
            int location = t.internLocation(0, 0, new int[] {function}, new int[] {1}, 1);
            node = t.internStackNode(node, location);
        }
        return node;
    }

    /** Accumulates the profiles of one series. */
    public static final class SeriesBuilder {
        private final Labels labels;
        private final List<Long> times = new ArrayList<>();
        private final List<String> ids = new ArrayList<>();
        private final List<int[]> stacks = new ArrayList<>();
        private final List<long[]> values = new ArrayList<>();
        private final List<long[]> spans = new ArrayList<>();

        public SeriesBuilder(Labels labels) {
            this.labels = labels;
        }

        /** Adds a profile: pairs of (stack id, value), which must be in ascending stack order. */
        public SeriesBuilder profile(long timeMs, String id, long... stackValuePairs) {
            return profileWithSpans(timeMs, id, null, stackValuePairs);
        }

        SeriesBuilder profileWithSpans(long timeMs, String id, long[] spanIds, long... stackValuePairs) {
            int n = stackValuePairs.length / 2;
            int[] s = new int[n];
            long[] v = new long[n];
            for (int i = 0; i < n; i++) {
                s[i] = (int) stackValuePairs[2 * i];
                v[i] = stackValuePairs[2 * i + 1];
            }
            times.add(timeMs * MS);
            ids.add(id);
            stacks.add(s);
            values.add(v);
            spans.add(spanIds);
            return this;
        }

        public BlockSeries build() {
            int n = times.size();
            long[] totals = new long[n];
            for (int i = 0; i < n; i++) {
                totals[i] = Arrays.stream(values.get(i)).sum();
            }
            return new BlockSeries(labels, n, times.stream().mapToLong(Long::longValue).toArray(), ids.toArray(new String[0]),
                    stacks.toArray(new int[0][]), values.toArray(new long[0][]), spans.toArray(new long[0][]), totals);
        }
    }

    public static SelectionSpec select(String profileType, String selector, TimeRange range) {
        return select(profileType, selector, range, null, null);
    }

    static SelectionSpec select(String profileType, String selector, TimeRange range, long[] spans, String[] callSite) {
        Selector s = Selector.parse(selector).with(LabelMatcher.eq("__profile_type__", profileType));
        return new SelectionSpec(range, ProfileTypeId.parse(profileType), s, spans, callSite);
    }

    /** Writes a level-1 block into a fresh directory under {@code tmp}, uploads it and opens it from the store. */
    public static ParquetBlock writeAndOpen(Path tmp, ObjectStore store, String tenant, List<BlockSeries> series, Symbols symbols,
            BlockWriterConfig config) throws IOException {
        String id = Ulid.generate();
        Path dir = tmp.resolve("local-" + id);
        BlockWriter.write(dir, tenant, id, series, symbols, config);
        BlockUploader.upload(store, dir);
        return ParquetBlock.open(store, tenant, id);
    }

    /** Self value per root-first path "a;b;c" of a call tree. */
    public static Map<String, Long> selfByPath(CallTree t) {
        Map<String, Long> out = new HashMap<>();
        for (int i = 1; i < t.size(); i++) {
            if (t.self(i) != 0) {
                out.merge(path(t, i), t.self(i), Long::sum);
            }
        }
        return out;
    }

    /** Total (self plus descendants) per function name; each function appears once per path here. */
    static Map<String, Long> totalByFunction(CallTree t) {
        long[] totals = t.totals();
        Map<String, Long> out = new HashMap<>();
        for (int i = 1; i < t.size(); i++) {
            if (totals[i] != 0) {
                out.merge(t.name(i), totals[i], Long::sum);
            }
        }
        return out;
    }

    private static String path(CallTree t, int node) {
        StringBuilder sb = new StringBuilder(t.name(node));
        for (int p = t.parent(node); p > 0; p = t.parent(p)) {
            sb.insert(0, t.name(p) + ";");
        }
        return sb.toString();
    }
}
