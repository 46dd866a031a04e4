package dev.kiln.common.otlp;

import static dev.kiln.common.otlp.OtlpConverterTest.cpuProfile;
import static dev.kiln.common.otlp.OtlpConverterTest.request;
import static dev.kiln.common.otlp.OtlpConverterTest.resource;
import static dev.kiln.common.otlp.OtlpConverterTest.scope;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.profiles.v1development.Link;
import io.opentelemetry.proto.profiles.v1development.Profile;
import io.opentelemetry.proto.profiles.v1development.ProfilesDictionary;
import io.opentelemetry.proto.profiles.v1development.Sample;
import io.opentelemetry.proto.profiles.v1development.ScopeProfiles;
import io.opentelemetry.proto.profiles.v1development.Stack;
import io.opentelemetry.proto.profiles.v1development.ValueType;
import io.opentelemetry.proto.resource.v1.Resource;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.InstantSource;
import java.util.Collections;
import java.util.List;

class OtlpConverterHostileInputTest {

    final OtlpConverter converter =
            new OtlpConverter(OtlpReceiverConfig.defaults(), InstantSource.fixed(Instant.EPOCH));

    @Test
    void stackIndexOutOfRange() {
        DictionaryBuilder d = new DictionaryBuilder();
        Profile cpu = cpuProfile(d, Sample.newBuilder().setStackIndex(9).addValues(1));

        assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: samples[0]: "
                        + "Sample.stack_index 9 is out of range: dictionary stack_table has 1 entries",
                failure(request(d, resource(Resource.getDefaultInstance(), scope(cpu)))));
    }

    @Test
    void negativeAttributeIndex() {
        DictionaryBuilder d = new DictionaryBuilder();
        Profile cpu = cpuProfile(d,
                Sample.newBuilder().setStackIndex(0).addValues(1),
                Sample.newBuilder().setStackIndex(0).addValues(1).addAttributeIndices(-3));

        assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: samples[1]: "
                        + "Sample.attribute_indices -3 is out of range: dictionary attribute_table has 1 entries",
                failure(request(d, resource(Resource.getDefaultInstance(), scope(cpu)))));
    }

    @Test
    void locationAndFunctionAndStringIndexesAreChecked() {
        DictionaryBuilder d = new DictionaryBuilder();
        int badLocation = d.stack(77);
        int badFunction = d.stack(d.location(0, 0, 55, 1));
        int badString = d.stack(d.location(0, 0, d.function("ok", ""), 1, d.function("x", ""), 2));
        Profile missingLocation = cpuProfile(d, Sample.newBuilder().setStackIndex(badLocation).addValues(1));
        Profile missingFunction = cpuProfile(d, Sample.newBuilder().setStackIndex(badFunction).addValues(1));
        Profile missingString = cpuProfile(d, Sample.newBuilder().setStackIndex(badString).addValues(1));
        ProfilesDictionary dictionary = d.build();
        // point the last function's name past the string table
        int lastFunction = dictionary.getFunctionTableCount() - 1;
        dictionary = dictionary.toBuilder().setFunctionTable(lastFunction,
                dictionary.getFunctionTable(lastFunction).toBuilder().setNameStrindex(1_000_000)).build();

        assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: samples[0]: "
                        + "Stack.location_indices 77 is out of range: dictionary location_table has 3 entries",
                failureWith(dictionary, missingLocation));
        assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: samples[0]: "
                        + "Line.function_index 55 is out of range: dictionary function_table has 3 entries",
                failureWith(dictionary, missingFunction));
        assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: samples[0]: "
                        + "Function.name_strindex 1000000 is out of range: dictionary string_table has 7 entries",
                failureWith(dictionary, missingString));
    }

    @Test
    void mappingLinkAndResourceKeyIndexesAreChecked() {
        DictionaryBuilder d = new DictionaryBuilder();
        int badMapping = d.stack(d.location(12, 0, d.function("f", ""), 1));
        Profile mappingProfile = cpuProfile(d, Sample.newBuilder().setStackIndex(badMapping).addValues(1));
        Profile linkProfile = cpuProfile(d, Sample.newBuilder().setStackIndex(0).addValues(1).setLinkIndex(4));
        Resource badKey = Resource.newBuilder().addAttributes(KeyValue.newBuilder().setKeyStrindex(500)
                .setValue(AnyValue.newBuilder().setStringValue("v"))).build();
        Profile fine = cpuProfile(d, Sample.newBuilder().setStackIndex(0).addValues(1));

        assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: samples[0]: "
                        + "Location.mapping_index 12 is out of range: dictionary mapping_table has 1 entries",
                failure(request(d, resource(Resource.getDefaultInstance(), scope(mappingProfile)))));
        assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: samples[0]: "
                        + "Sample.link_index 4 is out of range: dictionary link_table has 1 entries",
                failure(request(d, resource(Resource.getDefaultInstance(), scope(linkProfile)))));
        assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: "
                        + "KeyValue.key_strindex 500 is out of range: dictionary string_table has 6 entries",
                failure(request(d, resource(badKey, scope(fine)))));
    }

    @Test
    void missingDictionaryIsRejectedOnlyWhenSamplesNeedIt() {
        DictionaryBuilder d = new DictionaryBuilder();
        ExportProfilesServiceRequest withSamples = ExportProfilesServiceRequest.newBuilder()
                .addResourceProfiles(resource(Resource.getDefaultInstance(),
                        scope(cpuProfile(d, Sample.newBuilder().addValues(1)))))
                .build();
        ExportProfilesServiceRequest withoutSamples = ExportProfilesServiceRequest.newBuilder()
                .addResourceProfiles(resource(Resource.getDefaultInstance(), scope(Profile.getDefaultInstance())))
                .build();

        assertEquals("request has profile samples but no dictionary", failure(withSamples));
        assertEquals(List.of(), converter.convert(withoutSamples));
    }

    @Test
    void emptyTablesStillMeanNullAtIndexZero() {
        // a dictionary with only strings: stack 0 is the empty stack, as the spec's zero value
        ProfilesDictionary stringsOnly = ProfilesDictionary.newBuilder()
                .addStringTable("").addStringTable("samples").addStringTable("count")
                .addStringTable("cpu").addStringTable("nanoseconds").build();
        Profile cpu = Profile.newBuilder()
                .setSampleType(ValueType.newBuilder()
                        .setTypeStrindex(1).setUnitStrindex(2))
                .setPeriodType(ValueType.newBuilder()
                        .setTypeStrindex(3).setUnitStrindex(4))
                .setPeriod(1000)
                .addSamples(Sample.newBuilder().addValues(5))
                .build();

        var converted = converter.convert(ExportProfilesServiceRequest.newBuilder().setDictionary(stringsOnly)
                .addResourceProfiles(resource(Resource.getDefaultInstance(), scope(cpu))).build());

        assertEquals(1, converted.size());
        assertEquals(List.of(5000L), converted.getFirst().pprof().getSample(0).getValueList());
        assertEquals(0, converted.getFirst().pprof().getSample(0).getLocationIdCount());
    }

    @Test
    void malformedSamplesAndHeaders() {
        DictionaryBuilder d = new DictionaryBuilder();
        assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: samples[0]: "
                        + "sample has neither values nor timestamps_unix_nano",
                failure(request(d, resource(Resource.getDefaultInstance(),
                        scope(cpuProfile(d, Sample.newBuilder()))))));
        assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: samples[0]: "
                        + "sample has 2 values but 3 timestamps_unix_nano; the spec requires equal counts",
                failure(request(d, resource(Resource.getDefaultInstance(), scope(cpuProfile(d,
                        Sample.newBuilder().addValues(1).addValues(2)
                                .addTimestampsUnixNano(1).addTimestampsUnixNano(2).addTimestampsUnixNano(3)))))));
        assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: samples[0]: "
                        + "sample values overflow int64",
                failure(request(d, resource(Resource.getDefaultInstance(), scope(cpuProfile(d,
                        Sample.newBuilder().addValues(Long.MAX_VALUE).addValues(1)))))));
        assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: samples[0]: "
                        + "sample value 1000000000000 × period 10000000 overflows int64",
                failure(request(d, resource(Resource.getDefaultInstance(), scope(cpuProfile(d,
                        Sample.newBuilder().addValues(1_000_000_000_000L)))))));
        Profile noSampleType = cpuProfile(d, Sample.newBuilder().addValues(1)).toBuilder().clearSampleType().build();
        assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: sample_type is missing",
                failure(request(d, resource(Resource.getDefaultInstance(), scope(noSampleType)))));
        Profile farFuture = cpuProfile(d, Sample.newBuilder().addValues(1)).toBuilder().setTimeUnixNano(-1).build();
        assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: "
                        + "time_unix_nano 18446744073709551615 exceeds int64",
                failure(request(d, resource(Resource.getDefaultInstance(), scope(farFuture)))));
        Profile negativePeriod = cpuProfile(d, Sample.newBuilder().addValues(1)).toBuilder().setPeriod(-5).build();
        assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: period is negative: -5",
                failure(request(d, resource(Resource.getDefaultInstance(), scope(negativePeriod)))));
    }

    @Test
    void linkIdsOfTheWrongLengthAreRejected() {
        DictionaryBuilder d = new DictionaryBuilder();
        Profile cpu = cpuProfile(d, Sample.newBuilder().addValues(1).setLinkIndex(1));
        ProfilesDictionary dictionary = d.build().toBuilder()
                .addLinkTable(Link.newBuilder().setSpanId(ByteString.copyFrom(new byte[] {1, 2, 3})))
                .build();

        assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: samples[0]: "
                + "link_table[1].span_id has 3 bytes, expected 8", failureWith(dictionary, cpu));
    }

    @Test
    void sharedStacksCannotExpandBeyondTheOutputBudget() {
        DictionaryBuilder d = new DictionaryBuilder();
        int frame = d.location(0, 0, d.function("deep", ""), 1);
        Profile.Builder many = cpuProfile(d).toBuilder();
        ProfilesDictionary dictionary = d.build().toBuilder()
                .addStackTable(Stack.newBuilder().addAllLocationIndices(Collections.nCopies(10_000, frame)))
                .build();
        int deepStack = dictionary.getStackTableCount() - 1;
        Sample.Builder sample = Sample.newBuilder().setStackIndex(deepStack).addValues(1);
        for (int i = 0; i < 1_000; i++) {
            many.addSamples(sample);
        }
        OtlpConverter small = new OtlpConverter(new OtlpReceiverConfig(1.0, 1_000_000), InstantSource.fixed(Instant.EPOCH));

        // 1,000 samples × 10,000 frames = 10,000,000 references from a request of a few kilobytes
        var failure = assertThrows(IllegalArgumentException.class, () -> small.convert(ExportProfilesServiceRequest.newBuilder()
                .setDictionary(dictionary)
                .addResourceProfiles(resource(Resource.getDefaultInstance(), scope(many.build())))
                .build()));
        assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: samples[100]: "
                        + "request converts to more than 1000000 stack frame references and labels "
                        + "(otlp.max_output_references)", failure.getMessage());
    }

    @Test
    void manyProfilesSharingManyResourceAttributesAreBounded() {
        DictionaryBuilder d = new DictionaryBuilder();
        Resource.Builder wide = Resource.newBuilder();
        for (int i = 0; i < 1_000; i++) {
            wide.addAttributes(DictionaryBuilder.keyValue("attribute." + i, "v"));
        }
        var scopeProfiles = ScopeProfiles.newBuilder();
        Profile tiny = cpuProfile(d, Sample.newBuilder().addValues(1));
        for (int i = 0; i < 2_000; i++) {
            scopeProfiles.addProfiles(tiny);
        }
        OtlpConverter small = new OtlpConverter(new OtlpReceiverConfig(1.0, 1_000_000), InstantSource.fixed(Instant.EPOCH));

        var failure = assertThrows(IllegalArgumentException.class,
                () -> small.convert(request(d, resource(wide.build(), scopeProfiles.build()))));
        assertEquals("resource_profiles[0].scope_profiles[0].profiles[996]: request converts to more than 1000000 "
                + "stack frame references and labels (otlp.max_output_references)", failure.getMessage());
    }

    @Test
    void deeplyNestedAttributeValuesRenderEmptyWithoutRecursion() {
        DictionaryBuilder d = new DictionaryBuilder();
        AnyValue nested = AnyValue.newBuilder().setStringValue("leaf").build();
        for (int i = 0; i < 50; i++) {
            nested = AnyValue.newBuilder().setArrayValue(
                    ArrayValue.newBuilder().addValues(nested)).build();
        }
        Resource resource = Resource.newBuilder()
                .addAttributes(DictionaryBuilder.keyValue("nested", nested))
                .addAttributes(DictionaryBuilder.keyValue("bytes",
                        AnyValue.newBuilder().setBytesValue(ByteString.copyFromUtf8("raw")).build()))
                .build();

        var labels = converter.convert(request(d, resource(resource,
                scope(cpuProfile(d, Sample.newBuilder().addValues(1)))))).getFirst().seriesLabels();

        assertEquals(List.of("__delta__", "__otel__", "__name__", "service_name"), List.copyOf(labels.keySet()));
    }

    private String failure(ExportProfilesServiceRequest request) {
        return assertThrows(IllegalArgumentException.class, () -> converter.convert(request)).getMessage();
    }

    private String failureWith(ProfilesDictionary dictionary, Profile profile) {
        return failure(ExportProfilesServiceRequest.newBuilder()
                .setDictionary(dictionary)
                .addResourceProfiles(resource(Resource.getDefaultInstance(), scope(profile)))
                .build());
    }
}
