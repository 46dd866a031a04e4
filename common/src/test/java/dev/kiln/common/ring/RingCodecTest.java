package dev.kiln.common.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RingCodecTest {

    private static final Instant REGISTERED = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant HEARTBEAT = Instant.parse("2026-01-01T00:00:05Z");

    @Test
    void encodesUnsignedTokensAndEpochMillis() {
        RingDesc desc = RingDesc.of(new InstanceDesc("ingester-0", "10.0.0.7:9095", "zone-a", InstanceState.ACTIVE,
                new int[] {0xEE6B2800, 12345}, REGISTERED, HEARTBEAT));

        String json = new String(RingCodec.encode(desc), StandardCharsets.UTF_8);

        assertEquals("{\"instances\":{\"ingester-0\":{\"address\":\"10.0.0.7:9095\",\"zone\":\"zone-a\","
                + "\"state\":\"ACTIVE\",\"tokens\":[12345,4000000000],\"registered_at\":1767225600000,"
                + "\"heartbeat\":1767225605000}}}", json);
        assertEquals(desc, RingCodec.decode(json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void absentValueIsTheEmptyRing() {
        assertEquals(RingDesc.EMPTY, RingCodec.decode(null));
        assertEquals(RingDesc.EMPTY, RingCodec.decode(RingCodec.encode(RingDesc.EMPTY)));
    }

    @Test
    void malformedStateNamesTheProblem() {
        assertEquals("ring state has no \"instances\" object", decodeError("{}"));
        assertEquals("ring instance a has unknown state 'GONE'", decodeError(
                "{\"instances\":{\"a\":{\"address\":\"x\",\"zone\":\"\",\"state\":\"GONE\",\"tokens\":[],"
                        + "\"registered_at\":0,\"heartbeat\":0}}}"));
        assertEquals("token 4294967296 is outside the 32-bit ring [0, 4294967295]", decodeError(
                "{\"instances\":{\"a\":{\"address\":\"x\",\"zone\":\"\",\"state\":\"ACTIVE\",\"tokens\":[4294967296],"
                        + "\"registered_at\":0,\"heartbeat\":0}}}"));
        assertEquals("ring instance a lists token 7 twice", decodeError(
                "{\"instances\":{\"a\":{\"address\":\"x\",\"zone\":\"\",\"state\":\"ACTIVE\",\"tokens\":[7,7],"
                        + "\"registered_at\":0,\"heartbeat\":0}}}"));
        assertEquals("ring instance a has no epoch-millisecond field \"heartbeat\"", decodeError(
                "{\"instances\":{\"a\":{\"address\":\"x\",\"zone\":\"\",\"state\":\"ACTIVE\",\"tokens\":[],"
                        + "\"registered_at\":0}}}"));
        assertEquals(true, decodeError("{\"instances\":").startsWith("ring state is not valid JSON: "));
    }

    private static String decodeError(String json) {
        return assertThrows(IllegalArgumentException.class,
                () -> RingCodec.decode(json.getBytes(StandardCharsets.UTF_8))).getMessage();
    }
}
