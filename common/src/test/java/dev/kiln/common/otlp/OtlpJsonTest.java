package dev.kiln.common.otlp;

import static dev.kiln.common.otlp.OtlpConverterTest.frames;
import static dev.kiln.common.otlp.OtlpConverterTest.labels;
import static dev.kiln.common.otlp.OtlpConverterTest.valueType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

class OtlpJsonTest {

    /**
     * An OTLP/HTTP JSON request as the Collector writes it: lowerCamelCase keys, 64-bit integers
     * as strings, trace/span/profile ids in hex, and a field this receiver does not know.
     */
    static final String REQUEST = """
            {
              "resourceProfiles": [{
                "resource": {"attributes": [
                  {"key": "service.name", "value": {"stringValue": "cart"}},
                  {"key": "k8s.pod.uid", "value": {"stringValue": "pod-7"}}
                ]},
                "scopeProfiles": [{
                  "scope": {"name": "otel-ebpf-profiler", "attributes": [
                    {"key": "profiler.mode", "value": {"stringValue": "cpu"}}
                  ]},
                  "profiles": [{
                    "sampleType": {"typeStrindex": 1, "unitStrindex": 2},
                    "periodType": {"typeStrindex": 3, "unitStrindex": 4},
                    "period": "50000000",
                    "timeUnixNano": "1760000000000000000",
                    "durationNano": "5000000000",
                    "profileId": "0102030405060708090a0b0c0d0e0f10",
                    "samples": [
                      {"stackIndex": 1, "values": ["4"], "linkIndex": 1, "attributeIndices": [1]},
                      {"stackIndex": 2, "timestampsUnixNano": ["1760000000000000001", "1760000000000000002"]}
                    ],
                    "someFutureField": {"ignored": true}
                  }]
                }]
              }],
              "dictionary": {
                "stringTable": ["", "samples", "count", "cpu", "nanoseconds", "main", "app.py", "serve",
                                "/usr/bin/python3", "thread.name", "MainThread"],
                "mappingTable": [{}, {"memoryStart": "4096", "memoryLimit": "8192", "filenameStrindex": 8}],
                "functionTable": [{}, {"nameStrindex": 5, "filenameStrindex": 6},
                                      {"nameStrindex": 7, "filenameStrindex": 6}],
                "locationTable": [{},
                  {"mappingIndex": 1, "address": "4660", "lines": [{"functionIndex": 2, "line": "12"}]},
                  {"mappingIndex": 1, "address": "4661", "lines": [{"functionIndex": 1, "line": "3"}]}],
                "stackTable": [{}, {"locationIndices": [1, 2]}, {"locationIndices": [2]}],
                "linkTable": [{}, {"traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "EEE19B7EC3C1B174"}],
                "attributeTable": [{}, {"keyStrindex": 9, "value": {"stringValue": "MainThread"}}]
              }
            }
            """;

    @Test
    void parsesOtlpJsonWithHexIdsAndConvertsIt() {
        ExportProfilesServiceRequest request = OtlpJson.parse(REQUEST.getBytes(StandardCharsets.UTF_8));

        assertEquals("5b8efff798038103d269b633813fc60c",
                HexFormat.of().formatHex(request.getDictionary().getLinkTable(1).getTraceId().toByteArray()));
        assertEquals("0102030405060708090a0b0c0d0e0f10", HexFormat.of().formatHex(
                request.getResourceProfiles(0).getScopeProfiles(0).getProfiles(0).getProfileId().toByteArray()));

        List<OtlpProfile> converted = new OtlpConverter(OtlpReceiverConfig.defaults(),
                InstantSource.fixed(Instant.EPOCH)).convert(request);

        assertEquals(1, converted.size());
        OtlpProfile profile = converted.getFirst();
        assertEquals(Map.of("__delta__", "false", "__otel__", "true", "__name__", "process_cpu",
                        "service.name", "cart", "k8s.pod.uid", "pod-7", "profiler.mode", "cpu", "service_name", "cart"),
                profile.seriesLabels());
        var pprof = profile.pprof();
        assertEquals("cpu:nanoseconds", valueType(pprof, pprof.getSampleType(0)));
        assertEquals(1_760_000_000_000_000_000L, pprof.getTimeNanos());
        assertEquals(List.of(200_000_000L), pprof.getSample(0).getValueList());
        assertEquals(List.of(100_000_000L), pprof.getSample(1).getValueList());
        assertEquals(List.of("serve", "main"), frames(pprof, pprof.getSample(0)));
        assertEquals(Map.of("thread.name", "MainThread",
                        "span_id", "eee19b7ec3c1b174", "trace_id", "5b8efff798038103d269b633813fc60c"),
                labels(pprof, pprof.getSample(0).getLabelList()));
        assertEquals(4660, pprof.getLocation(0).getAddress());
    }

    @Test
    void base64IdsFromPlainProtobufJsonAreAlsoAccepted() {
        String json = """
                {"dictionary": {"linkTable": [{}, {"traceId": "W47/95gDgQPSabYzgT/GDA==", "spanId": "7uGbfsPBsXQ="}]}}
                """;

        var link = OtlpJson.parse(json.getBytes(StandardCharsets.UTF_8)).getDictionary().getLinkTable(1);

        assertEquals("5b8efff798038103d269b633813fc60c", HexFormat.of().formatHex(link.getTraceId().toByteArray()));
        assertEquals("eee19b7ec3c1b174", HexFormat.of().formatHex(link.getSpanId().toByteArray()));
    }

    @Test
    void malformedJsonIsAnInvalidArgument() {
        var notJson = assertThrows(IllegalArgumentException.class,
                () -> OtlpJson.parse("{\"resourceProfiles\": [".getBytes(StandardCharsets.UTF_8)));
        assertEquals(true, notJson.getMessage().startsWith("invalid OTLP JSON: "), notJson.getMessage());

        var notObject = assertThrows(IllegalArgumentException.class,
                () -> OtlpJson.parse("[1, 2]".getBytes(StandardCharsets.UTF_8)));
        assertEquals("invalid OTLP JSON: the request must be a JSON object", notObject.getMessage());

        var wrongType = assertThrows(IllegalArgumentException.class,
                () -> OtlpJson.parse("{\"dictionary\": {\"stringTable\": 5}}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(true, wrongType.getMessage().startsWith("invalid OTLP JSON: "), wrongType.getMessage());
    }
}
