package dev.kiln.common.otlp;

import static dev.kiln.common.otlp.OtlpConverterTest.cpuProfile;
import static dev.kiln.common.otlp.OtlpConverterTest.request;
import static dev.kiln.common.otlp.OtlpConverterTest.resource;
import static dev.kiln.common.otlp.OtlpConverterTest.scope;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.kiln.common.InvalidInputException;
import dev.kiln.common.testing.MutationFuzzer;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest;
import io.opentelemetry.proto.profiles.v1development.Sample;
import io.opentelemetry.proto.resource.v1.Resource;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Mutated OTLP export requests: the parser and converter only ever refuse them with their documented errors. */
class OtlpConverterFuzzTest {
    @Test
    void malformedExportsOnlyEverRaiseDocumentedErrors() {
        DictionaryBuilder d = new DictionaryBuilder();
        int stack = d.stack(d.location(0, 0, d.function("handle", "h.go"), 1), d.location(0, 0, d.function("main", "m.go"), 2));
        int thread = d.attribute("thread.name", "worker-1");
        Resource named = Resource.newBuilder().addAttributes(DictionaryBuilder.keyValue("service.name", "api")).build();
        ExportProfilesServiceRequest one = request(d, resource(named, scope(cpuProfile(d,
                Sample.newBuilder().setStackIndex(stack).addValues(3).addAttributeIndices(thread)))));
        OtlpConverter converter = new OtlpConverter(OtlpReceiverConfig.defaults(), InstantSource.fixed(Instant.ofEpochSecond(1_700_000_000)));
        MutationFuzzer.run("otlp-export", List.of(one.toByteArray()), 50_000, Duration.ofSeconds(60),
                input -> converter.convert(ExportProfilesServiceRequest.parseFrom(input)),
                InvalidProtocolBufferException.class, IllegalArgumentException.class, InvalidInputException.class);
    }
}
