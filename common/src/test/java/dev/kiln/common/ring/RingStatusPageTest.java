package dev.kiln.common.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.common.ring.kv.InMemoryKvStore;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RingStatusPageTest {

    private static final Instant T0 = RingIT.T0;

    private final MutableClock clock = new MutableClock(T0.plusSeconds(5));
    private final InMemoryKvStore store = new InMemoryKvStore("status/");
    private Ring ring;
    private RingStatusPage page;

    @BeforeEach
    void start() throws Exception {
        RingDesc desc = RingDesc.of(
                RingIT.instance("ingester-0", "zone-a", InstanceState.ACTIVE, T0, 0, 0x80000000L),
                RingIT.instance("ingester-1", "zone-a", InstanceState.LEAVING, T0.minus(Duration.ofMinutes(2)),
                        0x40000000L, 0xC0000000L),
                RingIT.instance("<script>", "", InstanceState.PENDING, T0));
        store.update(RingIT.KEY, ignored -> RingCodec.encode(desc));
        ring = new Ring(RingConfig.DEFAULT, store, RingIT.KEY, clock);
        ring.startAsync().awaitRunning();
        ring.awaitUntil(desc::equals, RingIT.WAIT);
        page = new RingStatusPage(ring);
    }

    @AfterEach
    void stop() {
        ring.stopAsync().awaitTerminated();
        store.close();
    }

    @Test
    void jsonListsEveryInstanceWithHealthAndOwnership() throws Exception {
        JsonNode json = new ObjectMapper().readTree(page.json());

        assertEquals("ring", json.get("ring").asText());
        assertEquals(1, json.get("replication_factor").asInt());
        assertEquals(60, json.get("heartbeat_timeout_seconds").asInt());
        JsonNode first = json.get("instances").get(1);
        assertEquals("ingester-0", first.get("id").asText());
        assertEquals("ACTIVE", first.get("state").asText());
        assertEquals("ingester-0:9095", first.get("address").asText());
        assertEquals("zone-a", first.get("zone").asText());
        assertEquals(2, first.get("tokens").asInt());
        assertEquals(50.0, first.get("ownership_percent").asDouble());
        assertEquals("2026-01-01T00:00:00Z", first.get("last_heartbeat").asText());
        assertEquals(5, first.get("heartbeat_age_seconds").asInt());
        assertTrue(first.get("healthy").asBoolean());
        JsonNode second = json.get("instances").get(2);
        assertEquals("ingester-1", second.get("id").asText());
        assertEquals(125, second.get("heartbeat_age_seconds").asInt());
        assertEquals(false, second.get("healthy").asBoolean());
        assertEquals("<script>", json.get("instances").get(0).get("id").asText());
        assertEquals(0.0, json.get("instances").get(0).get("ownership_percent").asDouble());
    }

    @Test
    void htmlHasOneEscapedRowPerInstanceAndForgetButtonsOnlyForUnhealthyOnes() {
        String html = page.html();

        assertTrue(html.contains("<tr><td>ingester-0</td><td>ACTIVE</td><td>ingester-0:9095</td><td>zone-a</td>"
                + "<td>2</td><td>50.0%</td><td>5s ago</td><td>yes</td><td></td></tr>"), html);
        assertTrue(html.contains("<tr><td>ingester-1</td><td>LEAVING</td><td>ingester-1:9095</td><td>zone-a</td>"
                + "<td>2</td><td>50.0%</td><td>2m5s ago</td><td>no</td><td><form method=\"post\">"
                + "<input type=\"hidden\" name=\"forget\" value=\"ingester-1\"><button type=\"submit\">Forget</button>"
                + "</form></td></tr>"), html);
        assertTrue(html.contains("<tr><td>&lt;script&gt;</td><td>PENDING</td>"), html);
        assertEquals(1, html.split("<form", -1).length - 1, "one Forget button");
    }

    @Test
    void forgetFormRemovesUnhealthyInstance() throws Exception {
        assertEquals("Instance ingester-1 forgotten from ring ring.", page.handleForm("forget=ingester-1"));
        ring.awaitUntil(desc -> desc.instance("ingester-1").isEmpty(), RingIT.WAIT);
        assertEquals(2, ring.instances().size());
    }

    @Test
    void forgetFormRejectsBadRequests() {
        assertEquals("ring form needs a non-empty 'forget' field naming the instance to remove",
                assertThrows(IllegalArgumentException.class, () -> page.handleForm("other=1")).getMessage());
        assertEquals("instance 'ingester-0' is healthy (last heartbeat 5s ago, timeout 60s); "
                        + "only unhealthy instances can be forgotten",
                assertThrows(IllegalArgumentException.class, () -> page.handleForm("forget=ingester-0")).getMessage());
        assertEquals("instance 'no such' is not in ring 'ring'",
                assertThrows(IllegalArgumentException.class, () -> page.handleForm("forget=no+such")).getMessage());
    }

    @Test
    void agesAreFormattedCompactly() {
        assertEquals("0s", RingStatusPage.formatAge(Duration.ofMillis(-300)));
        assertEquals("59s", RingStatusPage.formatAge(Duration.ofSeconds(59)));
        assertEquals("1m0s", RingStatusPage.formatAge(Duration.ofSeconds(60)));
        assertEquals("2h3m", RingStatusPage.formatAge(Duration.ofSeconds(2 * 3600 + 3 * 60 + 9)));
    }
}
