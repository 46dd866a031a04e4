package dev.kiln.common.server;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.kiln.common.ErrorCode;
import dev.kiln.common.tenant.Tenants;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The Connect protocol's unary calls ({@code POST /pkg.Service/Method} with {@code application/proto}
 * or {@code application/json}), served by invoking the very same grpc-java service through an
 * in-process channel: one implementation, two protocols. Errors use Connect's JSON shape
 * {@code {"code":"invalid_argument","message":"..."}} with the mapped HTTP status.
 */
public final class ConnectService implements HttpService {
    public static final MediaType APPLICATION_PROTO = MediaType.create("application", "proto");
    private static final JsonFormat.Parser JSON_PARSER = JsonFormat.parser().ignoringUnknownFields();
    private static final JsonFormat.Printer JSON_PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

    private final Channel channel;
    private final Map<String, MethodDescriptor<Message, Message>> methods = new HashMap<>();
    private final Map<String, Message> prototypes = new HashMap<>();

    @SuppressWarnings("unchecked")
    public ConnectService(Channel inProcessChannel, List<ServerServiceDefinition> services) {
        this.channel = inProcessChannel;
        for (ServerServiceDefinition def : services) {
            for (ServerMethodDefinition<?, ?> m : def.getMethods()) {
                MethodDescriptor<?, ?> md = m.getMethodDescriptor();
                if (md.getType() != MethodDescriptor.MethodType.UNARY) {
                    continue;
                }
                String path = "/" + md.getFullMethodName();
                methods.put(path, (MethodDescriptor<Message, Message>) md);
                prototypes.put(path, (Message) ((MethodDescriptor.PrototypeMarshaller<?>) md.getRequestMarshaller()).getMessagePrototype());
            }
        }
    }

    /** Paths this service answers, one per unary method. */
    public java.util.Set<String> paths() {
        return methods.keySet();
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
        String path = ctx.path();
        MethodDescriptor<Message, Message> md = methods.get(path);
        if (md == null) {
            return error(ErrorCode.NOT_FOUND, "unknown procedure " + path);
        }
        MediaType ct = req.contentType();
        boolean json = ct != null && ct.is(MediaType.JSON);
        boolean proto = ct != null && (ct.is(APPLICATION_PROTO) || ct.is(MediaType.PROTOBUF) || ct.is(MediaType.X_PROTOBUF));
        if (!json && !proto) {
            return HttpResponse.of(HttpStatus.UNSUPPORTED_MEDIA_TYPE, MediaType.PLAIN_TEXT_UTF_8,
                    "unsupported content type " + ct + ": use application/proto or application/json");
        }
        String encoding = req.headers().get("content-encoding");
        if (encoding != null && !encoding.equalsIgnoreCase("identity") && !encoding.equalsIgnoreCase("gzip")) {
            return error(ErrorCode.UNIMPLEMENTED, "unsupported content encoding " + encoding + ": use gzip or identity");
        }
        Metadata md2 = new Metadata();
        String tenant = req.headers().get(Tenants.HEADER);
        if (tenant != null) {
            md2.put(Tenants.METADATA_KEY, tenant);
        }
        CallOptions options = CallOptions.DEFAULT;
        String timeout = req.headers().get("connect-timeout-ms");
        if (timeout != null) {
            try {
                options = options.withDeadlineAfter(Long.parseLong(timeout.trim()), TimeUnit.MILLISECONDS);
            } catch (NumberFormatException e) {
                return error(ErrorCode.INVALID_ARGUMENT, "invalid Connect-Timeout-Ms header '" + timeout + "'");
            }
        }
        CallOptions callOptions = options;
        CompletableFuture<HttpResponse> result = req.aggregate().thenCompose(agg -> {
            Message request;
            try {
                request = parse(path, agg, json);
            } catch (ConnectError e) {
                return CompletableFuture.completedFuture(error(e.code, e.getMessage()));
            }
            Channel ch = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(md2));
            ListenableFuture<Message> call = ClientCalls.futureUnaryCall(ch.newCall(md, callOptions), request);
            CompletableFuture<HttpResponse> out = new CompletableFuture<>();
            Futures.addCallback(call, new FutureCallback<>() {
                @Override
                public void onSuccess(Message response) {
                    out.complete(success(response, json));
                }

                @Override
                public void onFailure(Throwable t) {
                    Status s = Status.fromThrowable(t);
                    out.complete(error(ErrorCode.fromGrpcCode(s.getCode().value()), s.getDescription() == null ? s.getCode().name() : s.getDescription()));
                }
            }, MoreExecutors.directExecutor());
            return out;
        });
        return HttpResponse.of(result);
    }

    private Message parse(String path, AggregatedHttpRequest agg, boolean json) throws ConnectError {
        Message prototype = prototypes.get(path);
        HttpData content = agg.content();
        try {
            if (json) {
                Message.Builder b = prototype.newBuilderForType();
                String text = content.toString(StandardCharsets.UTF_8);
                JSON_PARSER.merge(text.isBlank() ? "{}" : text, b);
                return b.build();
            }
            byte[] bytes = content.array();
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            // Alias large byte fields (raw profiles) into the request buffer instead of copying them.
            in.enableAliasing(true);
            return prototype.getParserForType().parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new ConnectError(ErrorCode.INVALID_ARGUMENT, "cannot decode request body as " + prototype.getDescriptorForType().getFullName()
                    + (json ? " (JSON)" : " (protobuf)") + ": " + e.getMessage());
        }
    }

    private static HttpResponse success(Message response, boolean json) {
        if (json) {
            try {
                return HttpResponse.of(HttpStatus.OK, MediaType.JSON, JSON_PRINTER.print(response));
            } catch (InvalidProtocolBufferException e) {
                return error(ErrorCode.INTERNAL, "cannot encode response as JSON: " + e.getMessage());
            }
        }
        return HttpResponse.of(HttpStatus.OK, APPLICATION_PROTO, HttpData.wrap(response.toByteArray()));
    }

    /** A Connect error response. */
    public static HttpResponse error(ErrorCode code, String message) {
        StringBuilder sb = new StringBuilder("{\"code\":\"").append(code.connectName()).append('"');
        if (message != null && !message.isEmpty()) {
            sb.append(",\"message\":");
            JsonStrings.quote(sb, message);
        }
        sb.append('}');
        return HttpResponse.of(HttpStatus.valueOf(code.httpStatus()), MediaType.JSON, sb.toString());
    }

    private static final class ConnectError extends Exception {
        final ErrorCode code;

        ConnectError(ErrorCode code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }
}
