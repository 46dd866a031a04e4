package dev.kiln.common.otlp;

/**
 * Settings of the OTLP profiles receiver.
 *
 * @param sampleRate          {@code distributor.receivers.otlp.sample_rate}, default {@code 1.0}: the fraction of OTLP
 *                            profiles kept, in [0, 1]. The decision is a function of the profile
 *                            id, so every replica that sees the same profile decides the same way.
 *                            {@code 1.0} keeps everything, {@code 0.0} drops everything.
 * @param maxOutputReferences {@code distributor.receivers.otlp.max_output_references}, default {@code 10_000_000}: the
 *                            most stack-frame references, sample labels and series labels that the
 *                            pprof profiles converted from one request may hold together. OTLP
 *                            shares stacks and attributes through its dictionary, so a small
 *                            request can describe a very large pprof; this bound keeps conversion
 *                            memory in proportion (about 8–64 bytes per reference).
 */
public record OtlpReceiverConfig(double sampleRate, long maxOutputReferences) {

    public static final double DEFAULT_SAMPLE_RATE = 1.0;
    public static final long DEFAULT_MAX_OUTPUT_REFERENCES = 10_000_000L;

    public OtlpReceiverConfig {
        if (!(sampleRate >= 0.0 && sampleRate <= 1.0)) {
            throw new IllegalArgumentException("distributor.receivers.otlp.sample_rate must be in [0, 1], got " + sampleRate);
        }
        if (maxOutputReferences <= 0) {
            throw new IllegalArgumentException(
                    "distributor.receivers.otlp.max_output_references must be positive, got " + maxOutputReferences);
        }
    }

    public static OtlpReceiverConfig defaults() {
        return new OtlpReceiverConfig(DEFAULT_SAMPLE_RATE, DEFAULT_MAX_OUTPUT_REFERENCES);
    }
}
