package dev.kiln.common.otlp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest;

import java.io.IOException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

/**
 * Reads OTLP/HTTP JSON profile requests ({@code Content-Type: application/json}).
 *
 * <p>OTLP JSON is the proto3 JSON mapping with deviations (OTLP specification, "JSON Protobuf
 * Encoding"): trace and span ids are hex strings rather than base64, and receivers must ignore
 * unknown fields. The OpenTelemetry Collector also writes profile ids as hex. Protobuf's
 * {@link JsonFormat} knows none of this, so ids are rewritten to base64 before parsing. An id is
 * taken as hex only when it has exactly the hex length of its id (32 characters for trace and
 * profile ids, 16 for span ids); anything else is left for the standard base64 reading, which is
 * what exporters that use plain protobuf JSON send.
 */
public final class OtlpJson {

    /** JSON field names (both spellings the proto3 mapping accepts) of OTLP ids, with their byte length. */
    private static final Map<String, Integer> ID_FIELDS = Map.of(
            "traceId", 16, "trace_id", 16,
            "spanId", 8, "span_id", 8,
            "profileId", 16, "profile_id", 16);

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private OtlpJson() {
    }

    public static ExportProfilesServiceRequest parse(byte[] json) {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid OTLP JSON: " + e.getMessage(), e);
        }
        if (tree == null || !tree.isObject()) {
            throw new IllegalArgumentException("invalid OTLP JSON: the request must be a JSON object");
        }
        hexIdsToBase64(tree);
        ExportProfilesServiceRequest.Builder request = ExportProfilesServiceRequest.newBuilder();
        try {
            PARSER.merge(tree.toString(), request);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("invalid OTLP JSON: " + e.getMessage(), e);
        }
        return request.build();
    }

    private static void hexIdsToBase64(JsonNode node) {
        if (node instanceof ObjectNode object) {
            for (var field : object.properties()) {
                Integer idBytes = ID_FIELDS.get(field.getKey());
                JsonNode value = field.getValue();
                if (idBytes != null && value.isTextual() && isHex(value.textValue(), idBytes)) {
                    byte[] id = HexFormat.of().parseHex(value.textValue());
                    field.setValue(TextNode.valueOf(Base64.getEncoder().encodeToString(id)));
                } else {
                    hexIdsToBase64(value);
                }
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                hexIdsToBase64(element);
            }
        }
    }

    private static boolean isHex(String text, int bytes) {
        if (text.length() != bytes * 2) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (Character.digit(text.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }
}
