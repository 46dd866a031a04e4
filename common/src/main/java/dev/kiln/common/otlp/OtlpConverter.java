package dev.kiln.common.otlp;

import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.profiles.v1development.KeyValueAndUnit;
import io.opentelemetry.proto.profiles.v1development.Link;
import io.opentelemetry.proto.profiles.v1development.Profile;
import io.opentelemetry.proto.profiles.v1development.ResourceProfiles;
import io.opentelemetry.proto.profiles.v1development.Sample;
import io.opentelemetry.proto.profiles.v1development.ScopeProfiles;
import io.opentelemetry.proto.profiles.v1development.ValueType;

import com.google.protobuf.ByteString;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts OTLP profiles (opentelemetry-proto 1.10.0, {@code v1development}) into pprof profiles
 * labelled the way Pyroscope's OTLP receiver labels them, so that data sent to Kiln and to
 * Pyroscope ends up in the same series.
 *
 * <p>Each OTLP profile becomes one pprof profile per distinct sample {@code service.name}. Series
 * labels: {@code __delta__="false"}, {@code __otel__="true"}, {@code __name__} (see
 * {@link #profileKind}), every resource then scope attribute with a non-empty scalar value (first
 * occurrence of a name wins, names kept as sent), and {@code service_name}. Sample attributes other
 * than {@code service.name} become pprof sample labels, and a sample's link becomes the sample
 * labels {@code span_id} and {@code trace_id} in lowercase hex.
 *
 * <p>Malformed input (indexes outside the dictionary, contradictory sample shapes, arithmetic
 * overflow, output beyond {@link OtlpReceiverConfig#maxOutputReferences()}) fails with an
 * {@link IllegalArgumentException} whose message names the offending element.
 */
public final class OtlpConverter {

    static final String SERVICE_NAME_ATTRIBUTE = "service.name";
    static final String EXECUTABLE_NAME_ATTRIBUTE = "process.executable.name";
    static final String UNKNOWN_SERVICE = "unknown_service";

    static final String LABEL_DELTA = "__delta__";
    static final String LABEL_OTEL = "__otel__";
    static final String LABEL_NAME = "__name__";
    static final String LABEL_SERVICE_NAME = "service_name";
    static final String LABEL_SPAN_ID = "span_id";
    static final String LABEL_TRACE_ID = "trace_id";

    private static final int SPAN_ID_BYTES = 8;
    private static final int TRACE_ID_BYTES = 16;
    private static final HexFormat HEX = HexFormat.of();

    private final long maxOutputReferences;
    private final InstantSource clock;

    /**
     * @param clock supplies the profile time when an agent sends none (time_unix_nano 0), as
     *              Pyroscope stamps such profiles with the time of receipt
     */
    public OtlpConverter(OtlpReceiverConfig config, InstantSource clock) {
        this.maxOutputReferences = config.maxOutputReferences();
        this.clock = clock;
    }

    /** Converts every profile in the request; profiles without samples produce nothing. */
    public List<OtlpProfile> convert(ExportProfilesServiceRequest request) {
        if (!request.hasDictionary() && hasSamples(request)) {
            throw new IllegalArgumentException("request has profile samples but no dictionary");
        }
        OtlpDictionary dictionary = new OtlpDictionary(request.getDictionary());
        OutputBudget budget = new OutputBudget(maxOutputReferences);
        List<OtlpProfile> converted = new ArrayList<>();
        for (int r = 0; r < request.getResourceProfilesCount(); r++) {
            ResourceProfiles resource = request.getResourceProfiles(r);
            for (int s = 0; s < resource.getScopeProfilesCount(); s++) {
                ScopeProfiles scope = resource.getScopeProfiles(s);
                for (int p = 0; p < scope.getProfilesCount(); p++) {
                    try {
                        convertProfile(dictionary, budget, resource, scope, scope.getProfiles(p), converted);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("resource_profiles[" + r + "].scope_profiles[" + s
                                + "].profiles[" + p + "]: " + e.getMessage(), e);
                    }
                }
            }
        }
        return converted;
    }

    private static boolean hasSamples(ExportProfilesServiceRequest request) {
        return request.getResourceProfilesList().stream()
                .flatMap(resource -> resource.getScopeProfilesList().stream())
                .flatMap(scope -> scope.getProfilesList().stream())
                .anyMatch(profile -> profile.getSamplesCount() > 0);
    }

    /** How one OTLP sample type maps to a Pyroscope profile name and pprof sample type. */
    record ProfileKind(String name, String sampleType, String sampleUnit, boolean scaleByPeriod) {
    }

    /**
     * Pyroscope's naming rule ({@code pkg/ingester/otlp/convert.go}), keyed on
     * "type:unit:periodType:periodUnit" where the period part is empty unless the period is
     * non-zero: "samples:count:cpu:nanoseconds" is {@code process_cpu} with values converted to
     * cpu nanoseconds (count × period); "off_cpu:nanoseconds::" is {@code off_cpu}; otherwise the
     * period type names the profile. Where Pyroscope would then produce an empty name (no period),
     * Kiln uses its fallback {@code process_cpu} instead of a name the distributor would reject.
     */
    static ProfileKind profileKind(String type, String unit, String periodType, String periodUnit, long period) {
        boolean hasPeriod = periodType != null && period != 0;
        if (hasPeriod && type.equals("samples") && unit.equals("count")
                && periodType.equals("cpu") && periodUnit.equals("nanoseconds")) {
            return new ProfileKind("process_cpu", "cpu", "nanoseconds", true);
        }
        if (!hasPeriod && type.equals("off_cpu") && unit.equals("nanoseconds")) {
            return new ProfileKind("off_cpu", type, unit, false);
        }
        if (hasPeriod && !periodType.isEmpty()) {
            return new ProfileKind(periodType, type, unit, false);
        }
        return new ProfileKind("process_cpu", type, unit, false);
    }

    private void convertProfile(OtlpDictionary dictionary, OutputBudget budget, ResourceProfiles resource,
                                ScopeProfiles scope, Profile source, List<OtlpProfile> converted) {
        if (source.getSamplesCount() == 0) {
            return;
        }
        if (!source.hasSampleType()) {
            throw new IllegalArgumentException("sample_type is missing");
        }
        if (source.getPeriod() < 0) {
            throw new IllegalArgumentException("period is negative: " + source.getPeriod());
        }
        ValueType sampleType = source.getSampleType();
        String type = dictionary.string(sampleType.getTypeStrindex(), "sample_type.type_strindex");
        String unit = dictionary.string(sampleType.getUnitStrindex(), "sample_type.unit_strindex");
        String periodType = null;
        String periodUnit = null;
        if (source.hasPeriodType()) {
            periodType = dictionary.string(source.getPeriodType().getTypeStrindex(), "period_type.type_strindex");
            periodUnit = dictionary.string(source.getPeriodType().getUnitStrindex(), "period_type.unit_strindex");
        }
        ProfileKind kind = profileKind(type, unit, periodType, periodUnit, source.getPeriod());
        long timeNanos = unsignedNanos(source.getTimeUnixNano(), "time_unix_nano");
        if (timeNanos == 0) {
            Instant now = clock.instant();
            timeNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        }
        long durationNanos = unsignedNanos(source.getDurationNano(), "duration_nano");

        Map<String, PprofBuilder> byService = new LinkedHashMap<>();
        for (int i = 0; i < source.getSamplesCount(); i++) {
            try {
                Sample sample = source.getSamples(i);
                long value = sampleValue(sample);
                if (kind.scaleByPeriod()) {
                    value = multiplyOrFail(value, source.getPeriod());
                }
                List<PprofBuilder.SampleLabel> labels = new ArrayList<>();
                String service = sampleLabels(dictionary, sample, labels);
                PprofBuilder builder = byService.get(service);
                if (builder == null) {
                    builder = new PprofBuilder(dictionary, budget, kind.sampleType(), kind.sampleUnit(),
                            periodType, periodUnit, source.getPeriod(), timeNanos, durationNanos);
                    byService.put(service, builder);
                }
                builder.addSample(value, dictionary.stack(sample.getStackIndex(), "Sample.stack_index"), labels);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("samples[" + i + "]: " + e.getMessage(), e);
            }
        }
        for (var entry : byService.entrySet()) {
            Map<String, String> labels = seriesLabels(dictionary, budget, resource, scope, kind.name(), entry.getKey());
            converted.add(new OtlpProfile(labels, entry.getValue().build()));
        }
    }

    /**
     * A sample's total: the sum of its values, or, when it only carries timestamps, one per
     * timestamp (the OTLP spec's reading of a value-less sample). With a single sample type per
     * OTLP profile, several values are several observations of that type.
     */
    private static long sampleValue(Sample sample) {
        int values = sample.getValuesCount();
        int timestamps = sample.getTimestampsUnixNanoCount();
        if (values == 0 && timestamps == 0) {
            throw new IllegalArgumentException("sample has neither values nor timestamps_unix_nano");
        }
        if (values == 0) {
            return timestamps;
        }
        if (timestamps != 0 && timestamps != values) {
            throw new IllegalArgumentException("sample has " + values + " values but " + timestamps
                    + " timestamps_unix_nano; the spec requires equal counts");
        }
        long sum = 0;
        for (int i = 0; i < values; i++) {
            sum = addOrFail(sum, sample.getValues(i));
        }
        return sum;
    }

    /**
     * Collects the pprof labels of a sample and returns its {@code service.name} attribute
     * (empty when absent), which is a series label, not a sample label.
     */
    private static String sampleLabels(OtlpDictionary dictionary, Sample sample, List<PprofBuilder.SampleLabel> labels) {
        String service = "";
        for (int index : sample.getAttributeIndicesList()) {
            KeyValueAndUnit attribute = dictionary.attribute(index, "Sample.attribute_indices");
            String key = dictionary.string(attribute.getKeyStrindex(), "KeyValueAndUnit.key_strindex");
            String value = dictionary.render(attribute.getValue());
            if (key.equals(SERVICE_NAME_ATTRIBUTE)) {
                if (service.isEmpty()) {
                    service = value;
                }
            } else if (!key.isEmpty() && !value.isEmpty()) {
                labels.add(new PprofBuilder.SampleLabel(key, value));
            }
        }
        if (sample.getLinkIndex() != 0) {
            Link link = dictionary.link(sample.getLinkIndex(), "Sample.link_index");
            addIdLabel(labels, LABEL_SPAN_ID, link.getSpanId(), SPAN_ID_BYTES, sample.getLinkIndex());
            addIdLabel(labels, LABEL_TRACE_ID, link.getTraceId(), TRACE_ID_BYTES, sample.getLinkIndex());
        }
        return service;
    }

    /** Adds a span or trace id label; an empty or all-zero id is the spec's "no id" and adds nothing. */
    private static void addIdLabel(List<PprofBuilder.SampleLabel> labels, String name, ByteString id,
                                   int expectedBytes, int linkIndex) {
        if (id.isEmpty() || isAllZero(id)) {
            return;
        }
        if (id.size() != expectedBytes) {
            throw new IllegalArgumentException("link_table[" + linkIndex + "]." + name + " has " + id.size()
                    + " bytes, expected " + expectedBytes);
        }
        labels.add(new PprofBuilder.SampleLabel(name, HEX.formatHex(id.toByteArray())));
    }

    static boolean isAllZero(ByteString bytes) {
        for (int i = 0; i < bytes.size(); i++) {
            if (bytes.byteAt(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, String> seriesLabels(OtlpDictionary dictionary, OutputBudget budget,
                                                    ResourceProfiles resource, ScopeProfiles scope,
                                                    String name, String sampleService) {
        List<KeyValue> resourceAttributes = resource.getResource().getAttributesList();
        List<KeyValue> scopeAttributes = scope.getScope().getAttributesList();
        budget.charge(4L + resourceAttributes.size() + scopeAttributes.size());
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(LABEL_DELTA, "false");
        labels.put(LABEL_OTEL, "true");
        labels.put(LABEL_NAME, name);
        putFirstOccurrences(dictionary, resourceAttributes, labels);
        putFirstOccurrences(dictionary, scopeAttributes, labels);
        // the computed service name replaces an attribute literally called service_name
        labels.put(LABEL_SERVICE_NAME,
                sampleService.isEmpty() ? resourceServiceName(dictionary, resourceAttributes) : sampleService);
        return labels;
    }

    /** Adds attributes whose name is not yet taken; an empty value does not take a name. */
    private static void putFirstOccurrences(OtlpDictionary dictionary, List<KeyValue> attributes,
                                            Map<String, String> labels) {
        for (KeyValue attribute : attributes) {
            String key = dictionary.key(attribute);
            String value = dictionary.render(attribute.getValue());
            if (!key.isEmpty() && !value.isEmpty()) {
                labels.putIfAbsent(key, value);
            }
        }
    }

    /**
     * The resource's {@code service.name}, else the OpenTelemetry default
     * {@code unknown_service:<process.executable.name>}, else {@code unknown_service}.
     */
    static String resourceServiceName(OtlpDictionary dictionary, List<KeyValue> attributes) {
        String executable = "";
        for (KeyValue attribute : attributes) {
            String key = dictionary.key(attribute);
            String value = dictionary.render(attribute.getValue());
            if (value.isEmpty()) {
                continue;
            }
            if (key.equals(SERVICE_NAME_ATTRIBUTE)) {
                return value;
            }
            if (key.equals(EXECUTABLE_NAME_ATTRIBUTE) && executable.isEmpty()) {
                executable = value;
            }
        }
        return executable.isEmpty() ? UNKNOWN_SERVICE : UNKNOWN_SERVICE + ":" + executable;
    }

    /** pprof keeps nanoseconds in int64; OTLP's unsigned fields beyond that are not real times. */
    private static long unsignedNanos(long value, String field) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " " + Long.toUnsignedString(value) + " exceeds int64");
        }
        return value;
    }

    private static long addOrFail(long a, long b) {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("sample values overflow int64", e);
        }
    }

    private static long multiplyOrFail(long count, long period) {
        try {
            return Math.multiplyExact(count, period);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("sample value " + count + " × period " + period + " overflows int64", e);
        }
    }
}
