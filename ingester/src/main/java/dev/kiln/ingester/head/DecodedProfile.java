package dev.kiln.ingester.head;

import com.google.protobuf.ByteString;
import dev.kiln.common.InvalidInputException;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.model.LabelNames;
import dev.kiln.common.model.Labels;
import dev.kiln.common.pprof.DecodeBuffers;
import dev.kiln.common.pprof.PprofData;
import dev.kiln.common.pprof.PprofRefs;
import dev.kiln.common.query.SpanIds;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pushed pprof, decoded and fully validated but not stored yet, with the series it splits into:
 * one per sample type and per distinct set of pprof sample labels (span and trace ids stay on the
 * samples), as Pyroscope does. Decoding validates everything so that storing can never fail after
 * the write-ahead log has recorded the push. Its columns live in reused {@link DecodeBuffers}:
 * {@link #release()} it once it is stored.
 */
public final class DecodedProfile {
    private static final String GODELTAPROF_PREFIX = "godeltaprof_";

    /**
     * One stored series of this profile: its labels, sample type and samples (null = all).
     * {@code cumulative} parts hold running totals that the head turns into deltas
     * ({@link CumulativeDeltas}).
     */
    record Part(Labels labels, int sampleType, int[] samples, boolean cumulative) {}

    final PprofData pprof;
    final PprofRefs refs;
    final long timeNanos;
    final String id;
    final List<Part> parts;
    /** Per sample, the span id (0 = none). Null when no sample carries one. */
    final long[] sampleSpans;
    final int decompressedBytes;
    /** Deeper stacks keep their leaf-most frames (limits.max_profile_stacktrace_depth). */
    final int maxStackDepth;
    /** Longest symbol kept, in UTF-8 bytes (limits.max_profile_symbol_value_length). */
    final int maxSymbolLength;
    private final DecodeBuffers buffers;

    private DecodedProfile(DecodeBuffers buffers, PprofData pprof, PprofRefs refs, long timeNanos, String id, List<Part> parts,
            long[] sampleSpans, int decompressedBytes, int maxStackDepth, int maxSymbolLength) {
        this.buffers = buffers;
        this.maxStackDepth = maxStackDepth;
        this.maxSymbolLength = maxSymbolLength;
        this.pprof = pprof;
        this.refs = refs;
        this.timeNanos = timeNanos;
        this.id = id;
        this.parts = parts;
        this.sampleSpans = sampleSpans;
        this.decompressedBytes = decompressedBytes;
    }

    public long timeNanos() {
        return timeNanos;
    }

    public int sampleCount() {
        return pprof.sampleCount;
    }

    public int decompressedBytes() {
        return decompressedBytes;
    }

    public int seriesCount() {
        return parts.size();
    }

    /** Gives the decode buffers back for reuse: call once the profile is stored, and use it no more. */
    public void release() {
        buffers.release();
    }

    /** How large the decoded pprof's columns had to be (see {@link PprofData#PprofData(PprofData.Shape)}). */
    public PprofData.Shape shape() {
        return pprof.shape();
    }

    /**
     * Decodes and validates one pushed pprof.
     *
     * @param seriesLabels validated series labels (must include {@code __name__} and {@code service_name})
     * @param defaultTimeNanos used when the pprof has no time (or one in 1970)
     * @param displayNames sample-type display names, used to derive a missing {@code __name__}
     */
    public static DecodedProfile decode(Labels seriesLabels, byte[] payload, String id, long defaultTimeNanos,
            Map<String, String> displayNames, Limits limits) {
        DecodeBuffers buffers = DecodeBuffers.take(null);
        return build(seriesLabels, buffers, buffers.decode(payload, maxProfileBytes(limits), PROFILE_SIZE_KEY), id, defaultTimeNanos,
                displayNames, limits);
    }

    /**
     * The same for a payload still in its request message, with the decode's columns sized for a
     * profile of the shape {@code sizeHint} (e.g. the {@link #shape()} of the last profile of the
     * same source; null: grow from the defaults).
     */
    public static DecodedProfile decode(Labels seriesLabels, ByteString payload, String id, long defaultTimeNanos,
            Map<String, String> displayNames, Limits limits, PprofData.Shape sizeHint) {
        DecodeBuffers buffers = DecodeBuffers.take(sizeHint);
        return build(seriesLabels, buffers, buffers.decode(payload, maxProfileBytes(limits), PROFILE_SIZE_KEY), id, defaultTimeNanos,
                displayNames, limits);
    }

    private static final String PROFILE_SIZE_KEY = "limits.max_profile_size_bytes";

    private static long maxProfileBytes(Limits limits) {
        return limits.maxProfileSizeBytes() > 0 ? limits.maxProfileSizeBytes() : Long.MAX_VALUE;
    }

    /** Validates the pprof decoded into {@code buffers} and splits it into series. */
    private static DecodedProfile build(Labels seriesLabels, DecodeBuffers buffers, PprofData p, String id, long defaultTimeNanos,
            Map<String, String> displayNames, Limits limits) {
        PprofRefs refs = PprofRefs.validate(p);
        if (limits.maxProfileStacktraceSamples() > 0 && p.sampleCount > limits.maxProfileStacktraceSamples()) {
            throw new InvalidInputException("profile has " + p.sampleCount + " samples, more than the limit of "
                    + limits.maxProfileStacktraceSamples() + " (limits.max_profile_stacktrace_samples)");
        }
        String name = seriesLabels.get(LabelNames.NAME);
        if (name == null || name.isEmpty()) {
            name = deriveName(p, displayNames);
            seriesLabels = seriesLabels.toBuilder().set(LabelNames.NAME, name).build();
        }
        long ts = p.timeNanos;
        if (ts < 365L * 24 * 3600 * 1_000_000_000L) { // unset, or in 1970: Pyroscope falls back too
            ts = defaultTimeNanos != 0 ? defaultTimeNanos : System.currentTimeMillis() * 1_000_000L;
        }
        boolean clientDeltas = "false".equals(seriesLabels.get(LabelNames.DELTA));
        Labels base = seriesLabels.toBuilder().remove(LabelNames.DELTA).remove(LabelNames.OTEL).build();

        long[] spans = null;
        Map<Labels, List<Integer>> groups = null;
        for (int s = 0; s < p.sampleCount; s++) {
            int start = p.sampleLabelStart[s];
            int count = p.sampleLabelCount[s];
            if (count == 0) {
                continue;
            }
            Labels.Builder sampleLabels = null;
            for (int i = start; i < start + count; i++) {
                long str = p.labelStr[i];
                if (str == 0) {
                    continue; // numeric labels do not make series
                }
                long key = p.labelKey[i];
                if (p.stringEquals(key, LabelNames.SPAN_ID) || p.stringEquals(key, LabelNames.PROFILE_ID)) {
                    long span = SpanIds.tryParse(p.string(str));
                    if (span != 0) {
                        if (spans == null) {
                            spans = new long[p.sampleCount];
                        }
                        spans[s] = span;
                    }
                    continue;
                }
                if (p.stringEquals(key, LabelNames.TRACE_ID)) {
                    continue;
                }
                String k = p.string(key);
                if (base.has(k)) {
                    continue; // series labels win over sample labels of the same name
                }
                if (sampleLabels == null) {
                    sampleLabels = Labels.builder();
                }
                sampleLabels.set(k, p.string(str));
            }
            if (sampleLabels != null) {
                if (groups == null) {
                    groups = new LinkedHashMap<>();
                }
                groups.computeIfAbsent(sampleLabels.build(), x -> new ArrayList<>()).add(s);
            }
        }
        // Samples without labels form the base series; each distinct label set its own series. The
        // member lists are the same for every sample type (SampleSet sorts each list once).
        List<Labels> groupLabels = new ArrayList<>();
        List<int[]> groupMembers = new ArrayList<>();
        int[] ungrouped = null;
        if (groups != null) {
            boolean[] grouped = new boolean[p.sampleCount];
            for (Map.Entry<Labels, List<Integer>> g : groups.entrySet()) {
                int[] members = g.getValue().stream().mapToInt(Integer::intValue).toArray();
                for (int m : members) {
                    grouped[m] = true;
                }
                groupLabels.add(g.getKey());
                groupMembers.add(members);
            }
            int rest = 0;
            for (boolean gr : grouped) {
                rest += gr ? 0 : 1;
            }
            if (rest > 0) {
                ungrouped = new int[rest];
                int k = 0;
                for (int s = 0; s < grouped.length; s++) {
                    if (!grouped[s]) {
                        ungrouped[k++] = s;
                    }
                }
            }
        }
        List<Part> parts = new ArrayList<>();
        for (int t = 0; t < p.sampleTypeCount; t++) {
            TypeSeries typeSeries = typeSeries(base, name, clientDeltas, p, t);
            Labels typeLabels = typeSeries.labels;
            boolean cumulative = typeSeries.cumulative;
            if (groups == null) {
                parts.add(new Part(checked(typeLabels, limits), t, null, cumulative));
                continue;
            }
            for (int g = 0; g < groupLabels.size(); g++) {
                Labels.Builder b = typeLabels.toBuilder();
                Labels extra = groupLabels.get(g);
                for (int i = 0; i < extra.size(); i++) {
                    b.set(extra.name(i), extra.value(i));
                }
                parts.add(new Part(checked(b.build(), limits), t, groupMembers.get(g), cumulative));
            }
            if (ungrouped != null) {
                parts.add(new Part(checked(typeLabels, limits), t, ungrouped, cumulative));
            }
        }
        return new DecodedProfile(buffers, p, refs, ts, id, parts, spans, buffers.decodedBytes(),
                limits.maxProfileStacktraceDepth() > 0 ? limits.maxProfileStacktraceDepth() : Integer.MAX_VALUE,
                limits.maxProfileSymbolValueLength() > 0 ? limits.maxProfileSymbolValueLength() : Integer.MAX_VALUE);
    }

    /**
     * Pyroscope's heuristic for pprof uploads without a profile name: "wall" wins, then the first
     * sample type (or its display name) that looks like cpu, memory, mutex, block or goroutines.
     */
    static String deriveName(PprofData p, Map<String, String> displayNames) {
        if (p.sampleTypeCount == 0) {
            throw new InvalidInputException("invalid pprof profile: no sample types");
        }
        for (int t = 0; t < p.sampleTypeCount; t++) {
            if (p.stringEquals(p.sampleTypeType[t], "wall")) {
                return "wall";
            }
        }
        String st = "";
        for (int t = 0; t < p.sampleTypeCount; t++) {
            st = p.string(p.sampleTypeType[t]);
            String display = displayNames.get(st);
            if (display != null && !display.isEmpty()) {
                st = display;
            }
            if (st.contains("cpu")) {
                return "process_cpu";
            }
            if (st.contains("alloc_") || st.contains("inuse_") || st.equals("space") || st.equals("objects")) {
                return "memory";
            }
            if (st.contains("mutex_")) {
                return "mutex";
            }
            if (st.contains("block_")) {
                return "block";
            }
            if (st.contains("goroutines")) {
                return "goroutines";
            }
        }
        return st;
    }

    /** The labels of one sample type's series, and whether its values are running totals. */
    private record TypeSeries(Labels labels, boolean cumulative) {}

    /**
     * The series of sample type {@code t}, after Pyroscope's default ingestion relabeling: a
     * {@code godeltaprof_} name prefix is stripped (those profiles are deltas already) and a
     * {@code wall} profile whose sample type is {@code cpu} is {@code process_cpu}; the replaced
     * name is kept in {@code __name_replaced__}.
     */
    private static TypeSeries typeSeries(Labels base, String name, boolean clientDeltas, PprofData p, int t) {
        String type = p.string(p.sampleTypeType[t]);
        String unit = p.string(p.sampleTypeUnit[t]);
        String periodType = p.string(p.periodTypeType);
        String periodUnit = p.string(p.periodTypeUnit);
        if (type.isEmpty()) {
            throw new InvalidInputException("invalid pprof profile: sample type " + t + " has an empty name");
        }
        Labels.Builder b = base.toBuilder();
        String stored = name;
        if (name.startsWith(GODELTAPROF_PREFIX) && name.length() > GODELTAPROF_PREFIX.length()) {
            stored = name.substring(GODELTAPROF_PREFIX.length());
            clientDeltas = true;
        } else if (name.equals("wall") && type.equals("cpu")) {
            stored = "process_cpu";
        }
        if (!stored.equals(name)) {
            b.set(LabelNames.NAME, stored).set(LabelNames.NAME_REPLACED, name);
        }
        Labels labels = b
                .set(LabelNames.TYPE, type)
                .set(LabelNames.UNIT, unit)
                .set(LabelNames.PERIOD_TYPE, periodType)
                .set(LabelNames.PERIOD_UNIT, periodUnit)
                .set(LabelNames.PROFILE_TYPE, stored + ":" + type + ":" + unit + ":" + periodType + ":" + periodUnit)
                .build();
        return new TypeSeries(labels, !clientDeltas && CumulativeDeltas.isCumulative(stored, type));
    }

    private static Labels checked(Labels labels, Limits limits) {
        // Private labels added by Kiln do not count against the client's budget, nor do their
        // names and values (they derive from the profile's own sample types); __name__ is the
        // client's choice and is checked.
        int visible = 0;
        for (int i = 0; i < labels.size(); i++) {
            String n = labels.name(i);
            if (!LabelNames.isPrivate(n)) {
                visible++;
            } else if (!n.equals(LabelNames.NAME)) {
                continue;
            }
            if (limits.maxLabelNameLength() > 0 && n.length() > limits.maxLabelNameLength()) {
                throw new InvalidInputException("label name '" + abbreviate(n) + "' is longer than " + limits.maxLabelNameLength()
                        + " characters (limits.max_label_name_length)");
            }
            if (limits.maxLabelValueLength() > 0 && labels.value(i).length() > limits.maxLabelValueLength()) {
                throw new InvalidInputException("value of label '" + abbreviate(n) + "' is longer than " + limits.maxLabelValueLength()
                        + " characters (limits.max_label_value_length)");
            }
        }
        if (limits.maxLabelNamesPerSeries() > 0 && visible > limits.maxLabelNamesPerSeries()) {
            throw new InvalidInputException("series " + labels + " has " + visible + " label names, more than the limit of "
                    + limits.maxLabelNamesPerSeries() + " (limits.max_label_names_per_series)");
        }
        return labels;
    }

    private static String abbreviate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}
