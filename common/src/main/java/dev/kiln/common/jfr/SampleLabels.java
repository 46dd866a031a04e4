package dev.kiln.common.jfr;

import dev.kiln.proto.jfr.Context;
import dev.kiln.proto.jfr.LabelsSnapshot;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Interns the pprof sample label sets of a conversion. An async-profiler event carries a
 * {@code contextId} (the Pyroscope agent's {@code ScopedContext}), whose labels the agent ships
 * in a {@link LabelsSnapshot}, plus optional span and trace ids. As in grafana/jfr-parser
 * ({@code pprof/profile_builder.go}): the context's labels, {@code profile_id} = the span id as 16
 * hex digits (read as the span id on ingest, like {@code span_id}), {@code span_name} from the snapshot's
 * strings, and {@code trace_id} = 32 hex digits of the 128-bit trace id.
 *
 * <p>Sets are interned by content, so samples whose contexts carry equal labels merge. Set 0 is
 * the empty set.
 */
final class SampleLabels {
    private record Correlation(long contextId, long spanId, long spanName, long traceIdHigh, long traceIdLow) { }

    private final LabelsSnapshot snapshot;
    /** Cached: protobuf map accessors allocate, and the check runs for every event. */
    private final boolean hasContexts;
    private final Map<Correlation, Integer> byCorrelation = new HashMap<>();
    private final Map<List<String>, Integer> byContent = new HashMap<>();
    private final List<String[]> sets = new ArrayList<>();

    SampleLabels(LabelsSnapshot snapshot) {
        this.snapshot = snapshot == null ? LabelsSnapshot.getDefaultInstance() : snapshot;
        this.hasContexts = this.snapshot.getContextsCount() > 0;
        sets.add(new String[0]);
        byContent.put(List.of(), 0);
    }

    int labelSet(long contextId, long spanId, long spanName, long traceIdHigh, long traceIdLow) {
        if (spanId == 0 && spanName == 0 && traceIdHigh == 0 && traceIdLow == 0
                && (contextId == 0 || !hasContexts)) {
            return 0;
        }
        return byCorrelation.computeIfAbsent(
                new Correlation(contextId, spanId, spanName, traceIdHigh, traceIdLow), this::intern);
    }

    /** Alternating label names and values of set {@code index}, sorted by name. */
    String[] pairs(int index) {
        return sets.get(index);
    }

    private int intern(Correlation c) {
        Map<String, String> labels = new TreeMap<>();
        Context context = snapshot.getContextsMap().get(c.contextId());
        if (c.contextId() != 0 && context != null) {
            for (Map.Entry<Long, Long> label : context.getLabelsMap().entrySet()) {
                String name = snapshot.getStringsMap().get(label.getKey());
                if (name != null && !name.isEmpty()) {
                    labels.put(name, snapshot.getStringsOrDefault(label.getValue(), ""));
                }
            }
        }
        if (c.spanId() != 0) {
            labels.put("profile_id", String.format("%016x", c.spanId()));
        }
        String spanName = c.spanName() == 0 ? "" : snapshot.getStringsOrDefault(c.spanName(), "");
        if (!spanName.isEmpty()) {
            labels.put("span_name", spanName);
        }
        if (c.traceIdHigh() != 0 || c.traceIdLow() != 0) {
            labels.put("trace_id", String.format("%016x%016x", c.traceIdHigh(), c.traceIdLow()));
        }
        List<String> content = new ArrayList<>(labels.size() * 2);
        labels.forEach((name, value) -> {
            content.add(name);
            content.add(value);
        });
        return byContent.computeIfAbsent(content, k -> {
            sets.add(k.toArray(new String[0]));
            return sets.size() - 1;
        });
    }
}
