package dev.kiln.common.otlp;

import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest;
import io.opentelemetry.proto.profiles.v1development.Profile;
import io.opentelemetry.proto.profiles.v1development.ResourceProfiles;
import io.opentelemetry.proto.profiles.v1development.ScopeProfiles;

/**
 * Keeps a deterministic fraction ({@link OtlpReceiverConfig#sampleRate()}) of OTLP profiles.
 *
 * <p>The decision hashes the profile id, so distributors that receive the same profile (a retry,
 * or an agent sending to several replicas) agree without talking to each other, and a profile kept
 * at some rate is also kept at every higher rate. The id is a random 16-byte value by spec but
 * agents may use structured ids (time-ordered, counters), which is why it is hashed rather than
 * read as a number. A profile without an id (optional in OTLP) is decided by its serialized bytes,
 * which is still the same decision for the same profile.
 */
public final class OtlpSampler {

    /** Fixed seed: the decision must be the same in every process and every release. */
    private static final HashFunction HASH = Hashing.murmur3_128(0);

    private final double sampleRate;

    public OtlpSampler(OtlpReceiverConfig config) {
        this.sampleRate = config.sampleRate();
    }

    /** Whether this profile is kept. */
    public boolean keep(Profile profile) {
        if (sampleRate >= 1.0) {
            return true;
        }
        ByteString id = profile.getProfileId();
        ByteString key = id.isEmpty() || OtlpConverter.isAllZero(id) ? profile.toByteString() : id;
        long hash = HASH.hashBytes(key.toByteArray()).asLong();
        // the top 53 bits as a uniform double in [0, 1)
        double position = (hash >>> 11) * 0x1.0p-53;
        return position < sampleRate;
    }

    /**
     * The request without the profiles this sampler drops; the request itself when it keeps all.
     * The dictionary is shared, not copied.
     */
    public ExportProfilesServiceRequest sample(ExportProfilesServiceRequest request) {
        if (sampleRate >= 1.0) {
            return request;
        }
        ExportProfilesServiceRequest.Builder sampled = request.toBuilder().clearResourceProfiles();
        for (ResourceProfiles resource : request.getResourceProfilesList()) {
            ResourceProfiles.Builder keptResource = resource.toBuilder().clearScopeProfiles();
            for (ScopeProfiles scope : resource.getScopeProfilesList()) {
                ScopeProfiles.Builder keptScope = scope.toBuilder().clearProfiles();
                for (Profile profile : scope.getProfilesList()) {
                    if (keep(profile)) {
                        keptScope.addProfiles(profile);
                    }
                }
                keptResource.addScopeProfiles(keptScope);
            }
            sampled.addResourceProfiles(keptResource);
        }
        return sampled.build();
    }
}
