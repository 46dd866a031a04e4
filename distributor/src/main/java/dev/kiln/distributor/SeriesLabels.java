package dev.kiln.distributor;

import dev.kiln.common.InvalidInputException;
import dev.kiln.common.model.LabelNames;
import dev.kiln.common.model.Labels;
import dev.kiln.proto.types.v1.LabelPair;
import java.util.List;
import java.util.Set;

/**
 * Validates and normalises the labels a client sends with a series, as Pyroscope's distributor
 * does: {@code service_name} defaults to {@code unknown_service}, dots in label names become
 * underscores (OpenTelemetry-style names), duplicate names and private ({@code __}) names other
 * than the few clients may send are rejected.
 */
public final class SeriesLabels {
    /** Private labels a client may send. */
    static final Set<String> ALLOWED_PRIVATE = Set.of(LabelNames.NAME, LabelNames.DELTA, LabelNames.SESSION_ID);

    private SeriesLabels() {}

    public static Labels normalize(List<LabelPair> pairs) {
        return normalize(pairs, Set.of());
    }

    /**
     * @param internalPrivate private labels the calling receiver itself adds (e.g. {@code __otel__})
     */
    public static Labels normalize(List<LabelPair> pairs, Set<String> internalPrivate) {
        Labels.Builder b = Labels.builder();
        java.util.Set<String> explicit = new java.util.HashSet<>();
        for (LabelPair p : pairs) {
            explicit.add(p.getName());
        }
        for (LabelPair p : pairs) {
            String name = p.getName();
            if (name.isEmpty()) {
                throw new InvalidInputException("label with an empty name");
            }
            if (LabelNames.isPrivate(name) && !ALLOWED_PRIVATE.contains(name) && !internalPrivate.contains(name)) {
                throw new InvalidInputException("label name '" + name + "' is reserved: labels starting with __ are private");
            }
            String sanitized = sanitize(name);
            if (!sanitized.equals(name) && explicit.contains(sanitized)) {
                continue; // e.g. service.name next to service_name: the explicit underscore label wins
            }
            validateName(sanitized);
            if (b.has(sanitized)) {
                throw new InvalidInputException("duplicate label name '" + sanitized + "'");
            }
            b.set(sanitized, p.getValue());
        }
        String service = b.get(LabelNames.SERVICE_NAME);
        if (service == null || service.isEmpty()) {
            b.set(LabelNames.SERVICE_NAME, LabelNames.UNKNOWN_SERVICE);
        }
        return b.build();
    }

    /** Dots (OpenTelemetry attribute names) become underscores, as Pyroscope's legacy sanitizer does. */
    static String sanitize(String name) {
        return name.indexOf('.') < 0 ? name : name.replace('.', '_');
    }

    static void validateName(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9');
            if (!ok) {
                throw new InvalidInputException("invalid label name '" + name + "': use letters, digits and underscores, not starting with a digit");
            }
        }
    }
}
