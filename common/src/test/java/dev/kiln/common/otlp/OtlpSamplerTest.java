package dev.kiln.common.otlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest;
import io.opentelemetry.proto.profiles.v1development.Profile;
import io.opentelemetry.proto.profiles.v1development.ResourceProfiles;
import io.opentelemetry.proto.profiles.v1development.ScopeProfiles;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

class OtlpSamplerTest {

    static OtlpSampler sampler(double rate) {
        return new OtlpSampler(new OtlpReceiverConfig(rate, OtlpReceiverConfig.DEFAULT_MAX_OUTPUT_REFERENCES));
    }

    static List<Profile> profilesWithRandomIds(int count) {
        Random random = new Random(42);
        List<Profile> profiles = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] id = new byte[16];
            random.nextBytes(id);
            profiles.add(Profile.newBuilder().setProfileId(ByteString.copyFrom(id)).build());
        }
        return profiles;
    }

    @Test
    void keepsTheConfiguredFractionOfProfileIds() {
        List<Profile> profiles = profilesWithRandomIds(10_000);

        long kept = profiles.stream().filter(sampler(0.25)::keep).count();

        // the same ids give the same count on every run; it is close to the rate
        assertEquals(2_524, kept);
    }

    @Test
    void sameIdSameDecisionOnEveryInstanceAndKeptIdsStayKeptAtHigherRates() {
        List<Profile> profiles = profilesWithRandomIds(2_000);
        OtlpSampler replicaA = sampler(0.3);
        OtlpSampler replicaB = sampler(0.3);
        OtlpSampler higher = sampler(0.6);

        for (Profile profile : profiles) {
            assertEquals(replicaA.keep(profile), replicaB.keep(profile));
            if (replicaA.keep(profile)) {
                assertTrue(higher.keep(profile));
            }
        }
    }

    @Test
    void sequentialIdsAreStillSpreadEvenly() {
        long kept = 0;
        for (int i = 0; i < 10_000; i++) {
            byte[] id = new byte[16];
            id[15] = (byte) i;
            id[14] = (byte) (i >> 8);
            if (sampler(0.5).keep(Profile.newBuilder().setProfileId(ByteString.copyFrom(id)).build())) {
                kept++;
            }
        }
        assertEquals(4_979, kept);
    }

    @Test
    void rateOneKeepsEverythingAndZeroNothing() {
        List<Profile> profiles = profilesWithRandomIds(1_000);
        assertTrue(profiles.stream().allMatch(sampler(1.0)::keep));
        assertTrue(profiles.stream().noneMatch(sampler(0.0)::keep));
    }

    @Test
    void profilesWithoutIdAreDecidedByTheirContent() {
        OtlpSampler sampler = sampler(0.5);
        long keptWithoutId = 0;
        long keptWithZeroId = 0;
        for (int i = 0; i < 1_000; i++) {
            Profile withoutId = Profile.newBuilder().setTimeUnixNano(i).build();
            Profile zeroId = withoutId.toBuilder().setProfileId(ByteString.copyFrom(new byte[16])).build();
            assertEquals(sampler.keep(withoutId), sampler.keep(withoutId.toBuilder().build()));
            keptWithoutId += sampler.keep(withoutId) ? 1 : 0;
            keptWithZeroId += sampler.keep(zeroId) ? 1 : 0;
        }
        // an all-zero id is the spec's "no id", so those profiles are spread by content too
        assertEquals(500, keptWithoutId);
        assertEquals(474, keptWithZeroId);
    }

    @Test
    void sampleDropsProfilesButKeepsTheRequestShapeAndDictionary() {
        List<Profile> profiles = profilesWithRandomIds(100);
        ExportProfilesServiceRequest request = ExportProfilesServiceRequest.newBuilder()
                .setDictionary(new DictionaryBuilder().build())
                .addResourceProfiles(ResourceProfiles.newBuilder()
                        .addScopeProfiles(ScopeProfiles.newBuilder().addAllProfiles(profiles.subList(0, 60)))
                        .addScopeProfiles(ScopeProfiles.newBuilder().addAllProfiles(profiles.subList(60, 100))))
                .build();
        OtlpSampler sampler = sampler(0.5);

        ExportProfilesServiceRequest sampled = sampler.sample(request);

        assertSame(request.getDictionary(), sampled.getDictionary());
        assertEquals(2, sampled.getResourceProfiles(0).getScopeProfilesCount());
        assertEquals(profiles.subList(0, 60).stream().filter(sampler::keep).toList(),
                sampled.getResourceProfiles(0).getScopeProfiles(0).getProfilesList());
        assertEquals(profiles.subList(60, 100).stream().filter(sampler::keep).toList(),
                sampled.getResourceProfiles(0).getScopeProfiles(1).getProfilesList());
        assertEquals(54, sampled.getResourceProfiles(0).getScopeProfilesList().stream()
                .mapToInt(ScopeProfiles::getProfilesCount).sum());
        assertSame(request, sampler(1.0).sample(request));
    }

    @Test
    void rateOutsideZeroToOneIsRejected() {
        assertEquals("distributor.receivers.otlp.sample_rate must be in [0, 1], got 1.5",
                assertThrows(IllegalArgumentException.class, () -> sampler(1.5)).getMessage());
        assertEquals("distributor.receivers.otlp.sample_rate must be in [0, 1], got NaN",
                assertThrows(IllegalArgumentException.class, () -> sampler(Double.NaN)).getMessage());
    }
}
