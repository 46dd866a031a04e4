package dev.kiln.distributor.otlp;

import com.google.protobuf.InvalidProtocolBufferException;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.kiln.common.ErrorCode;
import dev.kiln.common.InvalidInputException;
import dev.kiln.common.KilnException;
import dev.kiln.common.io.Gzip;
import dev.kiln.common.otlp.OtlpJson;
import dev.kiln.common.server.ConnectService;
import dev.kiln.common.server.GrpcErrors;
import dev.kiln.common.server.ServerConfig;
import dev.kiln.common.tenant.Tenants;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1development/profiles}: OTLP/HTTP. Accepts {@code application/x-protobuf} (or
 * {@code application/protobuf}) and {@code application/json} (OTLP's JSON mapping, hex ids),
 * optionally {@code Content-Encoding: gzip} (the size limit applies after decompression). Answers
 * an empty {@code ExportProfilesServiceResponse} in the request's encoding; errors are
 * {@code {"code","message"}} JSON with 400, 401, 413, 415, 429 or 5xx.
 */
final class OtlpHttpHandler implements HttpService {
    private static final Logger log = LoggerFactory.getLogger(OtlpHttpHandler.class);
    private static final MediaType PROTOBUF_ALT = MediaType.create("application", "protobuf");

    private final OtlpReceiver receiver;
    private final ServerConfig serverConfig;
    private final Executor executor;

    OtlpHttpHandler(OtlpReceiver receiver, ServerConfig serverConfig, Executor executor) {
        this.receiver = receiver;
        this.serverConfig = serverConfig;
        this.executor = executor;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
        MediaType type = req.contentType();
        boolean json = type != null && type.is(MediaType.JSON);
        boolean proto = type != null && (type.is(MediaType.X_PROTOBUF) || type.is(MediaType.PROTOBUF) || type.is(PROTOBUF_ALT));
        if (!json && !proto) {
            return ConnectService.error(ErrorCode.INVALID_ARGUMENT, "unsupported Content-Type '" + (type == null ? "" : type)
                    + "': OTLP/HTTP takes application/x-protobuf or application/json")
                    .mapHeaders(h -> h.toBuilder().status(HttpStatus.UNSUPPORTED_MEDIA_TYPE).build());
        }
        String tenant;
        try {
            tenant = Tenants.single(Tenants.resolve(req.headers().get(Tenants.HEADER), serverConfig.multitenancyEnabled()));
        } catch (KilnException e) {
            return ConnectService.error(e.code(), e.getMessage());
        }
        String encoding = req.headers().get(HttpHeaderNames.CONTENT_ENCODING, "").strip().toLowerCase(Locale.ROOT);
        CompletableFuture<HttpResponse> out = new CompletableFuture<>();
        req.aggregate().whenCompleteAsync((body, failure) -> {
            if (failure != null) {
                out.complete(ConnectService.error(ErrorCode.INVALID_ARGUMENT, "cannot read request body: " + GrpcErrors.message(failure)));
                return;
            }
            try {
                ExportProfilesServiceRequest request = parse(body, json, encoding);
                receiver.export(tenant, request);
                out.complete(json
                        ? HttpResponse.of(HttpStatus.OK, MediaType.JSON, "{}")
                        : HttpResponse.of(HttpStatus.OK, MediaType.X_PROTOBUF, new byte[0]));
            } catch (Gzip.TooLargeException e) {
                out.complete(ConnectService.error(ErrorCode.RESOURCE_EXHAUSTED, e.getMessage())
                        .mapHeaders(h -> h.toBuilder().status(HttpStatus.REQUEST_ENTITY_TOO_LARGE).build()));
            } catch (Throwable t) {
                ErrorCode code = GrpcErrors.code(t);
                if (code.httpStatus() >= 500) {
                    log.atWarn().addKeyValue("tenant", tenant).addKeyValue("error", GrpcErrors.message(t)).log("OTLP export failed");
                }
                out.complete(ConnectService.error(code, GrpcErrors.message(t)));
            }
        }, executor);
        return HttpResponse.of(out);
    }

    private ExportProfilesServiceRequest parse(AggregatedHttpRequest body, boolean json, String encoding) {
        byte[] bytes = body.content().array();
        if (encoding.equals("gzip")) {
            bytes = Gzip.decompress(bytes, 0, bytes.length, serverConfig.maxRequestBytes(), "OTLP request body",
                    "server.http_max_request_bytes");
        } else if (!encoding.isEmpty() && !encoding.equals("identity")) {
            throw new InvalidInputException("unsupported Content-Encoding '" + encoding + "': use gzip or none");
        }
        if (json) {
            try {
                return OtlpJson.parse(bytes);
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException(e.getMessage(), e);
            }
        }
        try {
            return ExportProfilesServiceRequest.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidInputException("invalid OTLP protobuf request: " + e.getMessage(), e);
        }
    }
}
