package dev.kiln.distributor.ingest;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.kiln.common.InvalidInputException;
import dev.kiln.common.io.Gzip;
import dev.kiln.common.jfr.JfrConverter;
import dev.kiln.common.jfr.JfrProfile;
import dev.kiln.common.limits.Limits;
import dev.kiln.proto.ingester.v1.ProfileSeries;
import dev.kiln.proto.jfr.LabelsSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a Pyroscope Java agent upload ({@code /ingest?format=jfr}) into series: one per profile
 * the recording yields (cpu, wall, allocations, locks, ...), each labelled with the upload's base
 * labels plus the profile's {@code __name__} and {@code jfr_event}, its payload the uncompressed
 * pprof. The JFR body and the {@code labels} part (a {@link LabelsSnapshot}) may each be gzip
 * compressed, detected by magic bytes as Pyroscope does.
 *
 * <p>Both are bounded after decompression by {@code limits.max_profile_size_bytes}, so a gzip
 * bomb cannot exhaust memory; a malformed recording or snapshot raises an
 * {@link InvalidInputException} naming the problem.
 */
public final class JfrUploads implements IngestHandler.JfrIngest {
    private static final String LIMIT_KEY = "limits.max_profile_size_bytes";

    private final long maxDecompressedBytes;

    /** Bounds decompressed uploads by the default {@code limits.max_profile_size_bytes} (4 MiB). */
    public JfrUploads() {
        this(Limits.DEFAULTS.maxProfileSizeBytes());
    }

    /**
     * @param maxDecompressedBytes the largest JFR recording or labels snapshot accepted after
     *                             decompression; 0 or less accepts any size
     */
    public JfrUploads(long maxDecompressedBytes) {
        this.maxDecompressedBytes = maxDecompressedBytes > 0 ? maxDecompressedBytes : Long.MAX_VALUE;
    }

    @Override
    public List<ProfileSeries> convert(byte[] jfr, byte[] labelsOrNull, Map<String, String> baseLabels,
                                       long defaultTimeNanos) {
        byte[] recording = Gzip.maybeDecompress(jfr, maxDecompressedBytes, "jfr", LIMIT_KEY);
        LabelsSnapshot snapshot = labelsSnapshot(labelsOrNull);
        List<ProfileSeries> series = new ArrayList<>();
        for (JfrProfile profile : JfrConverter.convert(recording, snapshot)) {
            Map<String, String> labels = new LinkedHashMap<>(baseLabels);
            labels.putAll(profile.seriesLabels());
            series.add(IngestHandler.series(labels, profile.profile().toByteArray(), defaultTimeNanos, Map.of()));
        }
        return series;
    }

    /** The agent's dynamic labels, or null when the upload has none. */
    private LabelsSnapshot labelsSnapshot(byte[] labels) {
        if (labels == null || labels.length == 0) {
            return null;
        }
        byte[] raw = Gzip.maybeDecompress(labels, maxDecompressedBytes, "jfr labels", LIMIT_KEY);
        try {
            return LabelsSnapshot.parseFrom(raw);
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidInputException("invalid jfr labels: not a LabelsSnapshot protobuf: " + e.getMessage());
        }
    }
}
