package dev.kiln.common.jfr;

import dev.kiln.common.InvalidInputException;
import dev.kiln.proto.jfr.LabelsSnapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Converts a Java Flight Recorder recording into pprof profiles the way Pyroscope does for its
 * Java agent (grafana/jfr-parser): one profile per {@link JfrProfileKind} that has samples.
 *
 * <p>The recording is parsed in place from the byte array, chunk by chunk, reading each chunk's
 * own metadata for event and type layouts; only the fields the profiles need are decoded.
 *
 * <p>The CPU (and wall) sample value is samples × sampling period. The period is taken from the
 * recording's {@code jdk.ActiveSetting} events: async-profiler's {@code interval} (nanoseconds)
 * or the JDK's {@code period} ("20 ms") of {@code jdk.ExecutionSample}, and the {@code interval}
 * of {@code profiler.WallClockSample} for wall samples. A chunk without such a setting uses the
 * previous chunk's, and the first falls back to {@link #DEFAULT_PERIOD_NANOS} — the Pyroscope
 * Java agent's default interval (its {@code sampleRate=100}). Pyroscope itself uses the upload's
 * {@code sampleRate} query parameter instead.
 *
 * <p>Bad input (truncated, corrupt, inconsistent or absurdly sized) raises an
 * {@link InvalidInputException} naming the problem; every count is checked against the bytes
 * left before anything is allocated or looped over.
 */
public final class JfrConverter {
    /** Sampling period assumed when a recording does not state one: 10 ms. */
    public static final long DEFAULT_PERIOD_NANOS = 10_000_000L;

    private JfrConverter() {
    }

    /**
     * Converts a recording.
     *
     * @param jfr          the recording, already decompressed
     * @param labelsOrNull the agent's dynamic labels, or null when none were uploaded
     * @return the non-empty profiles, in {@link JfrProfileKind} order
     * @throws InvalidInputException if the recording is malformed
     */
    public static List<JfrProfile> convert(byte[] jfr, LabelsSnapshot labelsOrNull) {
        Objects.requireNonNull(jfr, "jfr");
        if (jfr.length == 0) {
            throw new InvalidInputException("invalid JFR recording: empty");
        }
        SampleLabels labels = new SampleLabels(labelsOrNull);
        ProfileAccumulator[] accumulators = new ProfileAccumulator[JfrProfileKind.values().length];
        for (JfrProfileKind kind : JfrProfileKind.values()) {
            accumulators[kind.ordinal()] = new ProfileAccumulator(kind, labels);
        }
        ChunkDecoder.Settings settings = new ChunkDecoder.Settings();
        long startNanos = Long.MAX_VALUE;
        long endNanos = Long.MIN_VALUE;
        for (int pos = 0; pos < jfr.length; ) {
            ChunkHeader header = ChunkHeader.read(jfr, pos);
            JfrInput in = new JfrInput(jfr, header.start(), header.end(), header.compressedIntegers());
            in.position(header.start() + (int) header.metadataOffset());
            JfrMetadata metadata = JfrMetadata.read(in);
            in.limit(header.end());
            JfrInput strings = new JfrInput(jfr, header.start(), header.end(), header.compressedIntegers());
            ConstantPools pools = ConstantPools.read(in, header.start(), header.constantPoolOffset(), metadata, strings);
            ChunkFunctions functions = new ChunkFunctions(pools);
            for (ProfileAccumulator accumulator : accumulators) {
                accumulator.beginChunk(functions);
            }
            ChunkDecoder decoder = new ChunkDecoder(header, in, metadata, pools, labels, accumulators);
            decoder.readSettings(settings);
            decoder.readSamples(settings, DEFAULT_PERIOD_NANOS);
            startNanos = Math.min(startNanos, header.startNanos());
            endNanos = Math.max(endNanos, header.startNanos() + Math.max(0, header.durationNanos()));
            pos = header.end();
        }
        List<JfrProfile> profiles = new ArrayList<>();
        for (JfrProfileKind kind : JfrProfileKind.values()) {
            ProfileAccumulator accumulator = accumulators[kind.ordinal()];
            if (accumulator.isEmpty()) {
                continue;
            }
            String jfrEvent = settings.event != null && !settings.event.isEmpty()
                    ? settings.event : kind.fallbackJfrEvent();
            profiles.add(new JfrProfile(kind, Map.of("__name__", kind.metricName(), "jfr_event", jfrEvent),
                    accumulator.build(startNanos, endNanos - startNanos)));
        }
        return profiles;
    }
}
