package dev.kiln.common.jfr;

import dev.kiln.proto.pprof.Profile;

import java.util.Map;

/**
 * One pprof profile converted from a JFR recording.
 *
 * @param kind         which JFR events it aggregates
 * @param seriesLabels {@code __name__} (the metric name) and {@code jfr_event}; the ingest path adds
 *                     the service name and the user's labels
 * @param profile      the profile; sample labels carry the dynamic labels of async-profiler contexts
 */
public record JfrProfile(JfrProfileKind kind, Map<String, String> seriesLabels, Profile profile) {
}
