package dev.kiln.common.ring;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.escape.Escaper;
import com.google.common.html.HtmlEscapers;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The ring status page (dskit's {@code /ring} handler) as plain methods, to be mounted at
 * {@code /ring}, {@code /store-gateway/ring} and {@code /compactor/ring}: the ring as JSON or as an
 * HTML table, and the "forget" form POST that removes an unhealthy instance.
 */
public final class RingStatusPage {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Escaper HTML = HtmlEscapers.htmlEscaper();

    private final Ring ring;

    public RingStatusPage(Ring ring) {
        this.ring = ring;
    }

    /** One row of the page. */
    record Row(InstanceDesc instance, double ownershipPercent, Duration heartbeatAge, boolean healthy) {}

    List<Row> rows() {
        Instant now = ring.clock().instant();
        Map<String, Double> ownership = ring.ownership();
        List<Row> rows = new ArrayList<>();
        for (InstanceDesc instance : ring.instances()) {
            rows.add(new Row(instance, ownership.getOrDefault(instance.id(), 0.0) * 100,
                    Duration.between(instance.heartbeat(), now), ring.isHeartbeatFresh(instance)));
        }
        return rows;
    }

    /** {@code {"ring":..., "replication_factor":..., "heartbeat_timeout_seconds":..., "instances":[...]}}. */
    public String json() {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("ring", ring.key());
        root.put("replication_factor", ring.replicationFactor());
        root.put("heartbeat_timeout_seconds", ring.heartbeatTimeout().toSeconds());
        ArrayNode instances = root.putArray("instances");
        for (Row row : rows()) {
            InstanceDesc instance = row.instance();
            ObjectNode node = instances.addObject();
            node.put("id", instance.id());
            node.put("state", instance.state().name());
            node.put("address", instance.address());
            node.put("zone", instance.zone());
            node.put("tokens", instance.tokenCount());
            node.put("ownership_percent", row.ownershipPercent());
            node.put("registered_at", instance.registeredAt().toString());
            node.put("last_heartbeat", instance.heartbeat().toString());
            node.put("heartbeat_age_seconds", row.heartbeatAge().toSeconds());
            node.put("healthy", row.healthy());
        }
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize ring status", e);
        }
    }

    /** A complete HTML page with one table row per instance and a Forget button on unhealthy ones. */
    public String html() {
        StringBuilder page = new StringBuilder(4096);
        String title = HTML.escape(ring.key()) + " ring";
        page.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").append(title)
                .append("</title></head><body>\n<h1>").append(title).append("</h1>\n<p>Replication factor ")
                .append(ring.replicationFactor()).append(", heartbeat timeout ")
                .append(formatAge(ring.heartbeatTimeout())).append(".</p>\n")
                .append("<table border=\"1\">\n<thead><tr><th>Instance ID</th><th>State</th><th>Address</th>"
                        + "<th>Zone</th><th>Tokens</th><th>Ownership</th><th>Last heartbeat</th><th>Healthy</th>"
                        + "<th>Actions</th></tr></thead>\n<tbody>\n");
        for (Row row : rows()) {
            InstanceDesc instance = row.instance();
            page.append("<tr><td>").append(HTML.escape(instance.id()))
                    .append("</td><td>").append(instance.state())
                    .append("</td><td>").append(HTML.escape(instance.address()))
                    .append("</td><td>").append(HTML.escape(instance.zone()))
                    .append("</td><td>").append(instance.tokenCount())
                    .append("</td><td>").append(String.format("%.1f%%", row.ownershipPercent()))
                    .append("</td><td>").append(formatAge(row.heartbeatAge())).append(" ago")
                    .append("</td><td>").append(row.healthy() ? "yes" : "no")
                    .append("</td><td>");
            if (!row.healthy()) {
                page.append("<form method=\"post\"><input type=\"hidden\" name=\"forget\" value=\"")
                        .append(HTML.escape(instance.id()))
                        .append("\"><button type=\"submit\">Forget</button></form>");
            }
            page.append("</td></tr>\n");
        }
        page.append("</tbody>\n</table>\n</body></html>\n");
        return page.toString();
    }

    /**
     * Handles the page's form POST ({@code application/x-www-form-urlencoded}, {@code forget=<id>}).
     *
     * @return a one-line confirmation
     * @throws IllegalArgumentException if the body names no instance, an unknown one, or a healthy one
     */
    public String handleForm(String body) {
        String instanceId = null;
        for (String pair : body.split("&")) {
            int equals = pair.indexOf('=');
            if (equals > 0 && URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8).equals("forget")) {
                instanceId = URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
            }
        }
        if (instanceId == null || instanceId.isBlank()) {
            throw new IllegalArgumentException("ring form needs a non-empty 'forget' field naming the instance to remove");
        }
        ring.forget(instanceId);
        return "Instance " + instanceId + " forgotten from ring " + ring.key() + ".";
    }

    static String formatAge(Duration age) {
        long seconds = Math.max(0, age.toSeconds());
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return seconds / 60 + "m" + seconds % 60 + "s";
        }
        return seconds / 3600 + "h" + seconds % 3600 / 60 + "m";
    }
}
