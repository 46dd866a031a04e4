package dev.kiln.common.otlp;

import dev.kiln.proto.pprof.Profile;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One pprof profile converted from OTLP, with the series labels Pyroscope gives it.
 *
 * @param seriesLabels labels in Pyroscope's order ({@code __delta__}, {@code __otel__},
 *                     {@code __name__}, resource attributes, scope attributes,
 *                     {@code service_name}); attribute names are kept as sent (dotted), the
 *                     distributor sanitises them
 * @param pprof        the profile; OTLP sample attributes and links are its sample labels
 */
public record OtlpProfile(Map<String, String> seriesLabels, Profile pprof) {

    public OtlpProfile {
        seriesLabels = Collections.unmodifiableMap(new LinkedHashMap<>(seriesLabels));
    }
}
