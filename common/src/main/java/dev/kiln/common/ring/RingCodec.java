package dev.kiln.common.ring;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * The ring's stored form: UTF-8 JSON, readable with {@code etcdctl get}. Tokens are written as
 * their unsigned values, timestamps as epoch milliseconds:
 *
 * <pre>{"instances":{"ingester-0":{"address":"10.0.0.7:9095","zone":"zone-a","state":"ACTIVE",
 *   "tokens":[12345,4000000000],"registered_at":1764000000000,"heartbeat":1764000005000}}}</pre>
 *
 * The KV version of the value is the CAS version; the JSON itself carries none.
 */
public final class RingCodec {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private RingCodec() {}

    public static byte[] encode(RingDesc desc) {
        ObjectNode root = MAPPER.createObjectNode();
        ObjectNode instances = root.putObject("instances");
        for (InstanceDesc instance : desc.instances().values()) {
            ObjectNode node = instances.putObject(instance.id());
            node.put("address", instance.address());
            node.put("zone", instance.zone());
            node.put("state", instance.state().name());
            ArrayNode tokens = node.putArray("tokens");
            for (int token : instance.tokens()) {
                tokens.add(Tokens.toUnsigned(token));
            }
            node.put("registered_at", instance.registeredAt().toEpochMilli());
            node.put("heartbeat", instance.heartbeat().toEpochMilli());
        }
        try {
            return MAPPER.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize ring state", e);
        }
    }

    /** Parses a stored ring; {@code null} (key absent) is the empty ring. */
    public static RingDesc decode(byte[] stored) {
        if (stored == null) {
            return RingDesc.EMPTY;
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(stored);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("ring state is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("ring state cannot be read: " + e.getMessage(), e);
        }
        JsonNode instances = root == null ? null : root.get("instances");
        if (instances == null || !instances.isObject()) {
            throw new IllegalArgumentException("ring state has no \"instances\" object");
        }
        TreeMap<String, InstanceDesc> members = new TreeMap<>();
        for (Map.Entry<String, JsonNode> entry : instances.properties()) {
            members.put(entry.getKey(), decodeInstance(entry.getKey(), entry.getValue()));
        }
        return new RingDesc(members);
    }

    private static InstanceDesc decodeInstance(String id, JsonNode node) {
        String stateName = text(id, node, "state");
        InstanceState state;
        try {
            state = InstanceState.valueOf(stateName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ring instance " + id + " has unknown state '" + stateName + "'", e);
        }
        JsonNode tokenNodes = node.get("tokens");
        if (tokenNodes == null || !tokenNodes.isArray()) {
            throw new IllegalArgumentException("ring instance " + id + " has no \"tokens\" array");
        }
        int[] tokens = new int[tokenNodes.size()];
        for (int i = 0; i < tokens.length; i++) {
            JsonNode token = tokenNodes.get(i);
            if (!token.isIntegralNumber() || !token.canConvertToLong()) {
                throw new IllegalArgumentException("ring instance " + id + " has non-numeric token " + token);
            }
            tokens[i] = Tokens.fromUnsigned(token.asLong());
        }
        return new InstanceDesc(id, text(id, node, "address"), text(id, node, "zone"), state, tokens,
                millis(id, node, "registered_at"), millis(id, node, "heartbeat"));
    }

    private static String text(String id, JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("ring instance " + id + " has no text field \"" + field + "\"");
        }
        return value.asText();
    }

    private static Instant millis(String id, JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new IllegalArgumentException("ring instance " + id + " has no epoch-millisecond field \"" + field + "\"");
        }
        return Instant.ofEpochMilli(value.asLong());
    }
}
