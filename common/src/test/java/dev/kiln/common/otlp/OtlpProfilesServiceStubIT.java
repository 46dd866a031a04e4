package dev.kiln.common.otlp;

import static dev.kiln.common.otlp.OtlpConverterTest.cpuProfile;
import static dev.kiln.common.otlp.OtlpConverterTest.request;
import static dev.kiln.common.otlp.OtlpConverterTest.resource;
import static dev.kiln.common.otlp.OtlpConverterTest.scope;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesPartialSuccess;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceResponse;
import io.opentelemetry.proto.collector.profiles.v1development.ProfilesServiceGrpc;
import io.opentelemetry.proto.profiles.v1development.Sample;
import io.opentelemetry.proto.resource.v1.Resource;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.InstantSource;

/**
 * The opentelemetry-proto jar ships the grpc-java stub for ProfilesService; this proves it binds
 * on the OTLP method path with the grpc-java version Kiln uses, so the receiver needs no own
 * service definition.
 */
class OtlpProfilesServiceStubIT {

    /** Answers with the number of pprof profiles the request converts to, or INVALID_ARGUMENT. */
    static final class CountingService extends ProfilesServiceGrpc.ProfilesServiceImplBase {
        final OtlpConverter converter = new OtlpConverter(OtlpReceiverConfig.defaults(), InstantSource.fixed(Instant.EPOCH));

        @Override
        public void export(ExportProfilesServiceRequest request, StreamObserver<ExportProfilesServiceResponse> response) {
            int converted;
            try {
                converted = converter.convert(request).size();
            } catch (IllegalArgumentException e) {
                response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
                return;
            }
            response.onNext(ExportProfilesServiceResponse.newBuilder()
                    .setPartialSuccess(ExportProfilesPartialSuccess.newBuilder().setErrorMessage("converted " + converted))
                    .build());
            response.onCompleted();
        }
    }

    @Test
    void exportReachesTheServiceOnTheOtlpMethodPath() throws Exception {
        assertEquals("opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export",
                ProfilesServiceGrpc.getExportMethod().getFullMethodName());
        String name = InProcessServerBuilder.generateName();
        Server server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(new CountingService()).build().start();
        ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        try {
            var stub = ProfilesServiceGrpc.newBlockingStub(channel);
            DictionaryBuilder d = new DictionaryBuilder();
            var profile = cpuProfile(d, Sample.newBuilder().addValues(1));

            ExportProfilesServiceResponse response = stub.export(
                    request(d, resource(Resource.getDefaultInstance(), scope(profile, profile))));
            StatusRuntimeException rejected = assertThrows(StatusRuntimeException.class,
                    () -> stub.export(request(d, resource(Resource.getDefaultInstance(),
                            scope(cpuProfile(d, Sample.newBuilder().setStackIndex(5).addValues(1)))))));

            assertEquals("converted 2", response.getPartialSuccess().getErrorMessage());
            assertEquals(Status.Code.INVALID_ARGUMENT, rejected.getStatus().getCode());
            assertEquals("resource_profiles[0].scope_profiles[0].profiles[0]: samples[0]: "
                            + "Sample.stack_index 5 is out of range: dictionary stack_table has 1 entries",
                    rejected.getStatus().getDescription());
        } finally {
            channel.shutdownNow();
            server.shutdownNow().awaitTermination();
        }
    }
}
