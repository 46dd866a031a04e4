package dev.kiln.common.server;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.UnsafeByteOperations;
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
import dev.kiln.common.KilnException;
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
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The Connect protocol's unary calls ({@code POST /pkg.Service/Method} with {@code application/proto}
 * or {@code application/json}), served by invoking the very same grpc-java service through an
 * in-process channel: one implementation, two protocols. Methods registered as {@link DirectUnary}
 * skip the channel: their handler runs on {@code blockingExecutor} with the parsed request, the
 * tenant resolved as {@link dev.kiln.common.tenant.TenantServerInterceptor} does and errors mapped by
 * {@link GrpcErrors}, so the answers are the same. Errors use Connect's JSON shape
 * {@code {"code":"invalid_argument","message":"..."}} with the mapped HTTP status.
 */
public final class ConnectService implements HttpService {
    public static final MediaType APPLICATION_PROTO = MediaType.create("application", "proto");
    private static final JsonFormat.Parser JSON_PARSER = JsonFormat.parser().ignoringUnknownFields();
    private static final JsonFormat.Printer JSON_PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

    private final Channel channel;
    private final Map<String, MethodDescriptor<Message, Message>> methods = new HashMap<>();
    private final Map<String, Message> prototypes = new HashMap<>();
    private final Map<String, DirectUnary.Handler<Message, Message>> direct = new HashMap<>();
    private final boolean multitenancyEnabled;
    private final Executor blockingExecutor;

    /**
     * @param directMethods      methods of {@code services} whose Connect calls run their handler directly
     * @param blockingExecutor   runs the direct handlers (they may block, e.g. on the write-ahead log)
     */
    @SuppressWarnings("unchecked")
    public ConnectService(Channel inProcessChannel, List<ServerServiceDefinition> services, List<DirectUnary<?, ?>> directMethods,
            boolean multitenancyEnabled, Executor blockingExecutor) {
        this.channel = inProcessChannel;
        this.multitenancyEnabled = multitenancyEnabled;
        this.blockingExecutor = blockingExecutor;
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
        for (DirectUnary<?, ?> d : directMethods) {
            String path = "/" + d.method().getFullMethodName();
            if (!methods.containsKey(path)) {
                throw new IllegalArgumentException("direct method " + path + " is not a unary method of a public service");
            }
            direct.put(path, (DirectUnary.Handler<Message, Message>) d.handler());
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
        String tenant = req.headers().get(Tenants.HEADER);
        long timeoutMs = -1;
        String timeout = req.headers().get("connect-timeout-ms");
        if (timeout != null) {
            try {
                timeoutMs = Long.parseLong(timeout.trim());
            } catch (NumberFormatException e) {
                return error(ErrorCode.INVALID_ARGUMENT, "invalid Connect-Timeout-Ms header '" + timeout + "'");
            }
        }
        long deadlineMs = timeoutMs;
        DirectUnary.Handler<Message, Message> handler = direct.get(path);
        CallOptions callOptions = timeoutMs < 0 ? CallOptions.DEFAULT
                : CallOptions.DEFAULT.withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS);
        CompletableFuture<HttpResponse> result = req.aggregate().thenCompose(agg -> {
            Message request;
            try {
                request = parse(path, agg, json);
            } catch (ConnectError e) {
                return CompletableFuture.completedFuture(error(e.code, e.getMessage()));
            }
            if (handler != null) {
                return callDirect(handler, tenant, request, json, deadlineMs);
            }
            Metadata headers = new Metadata();
            if (tenant != null) {
                headers.put(Tenants.METADATA_KEY, tenant);
            }
            Channel ch = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
            ListenableFuture<Message> call = ClientCalls.futureUnaryCall(ch.newCall(md, callOptions), request);
            CompletableFuture<HttpResponse> out = new CompletableFuture<>();
            Futures.addCallback(call, new FutureCallback<>() {
                @Override
                public void onSuccess(Message response) {
                    out.complete(success(response, json));
                }

                @Override
                public void onFailure(Throwable t) {
                    out.complete(error(Status.fromThrowable(t)));
                }
            }, MoreExecutors.directExecutor());
            return out;
        });
        return HttpResponse.of(result);
    }

    /**
     * Runs a direct handler as the gRPC call would: the tenant is resolved (and refused) like
     * {@link dev.kiln.common.tenant.TenantServerInterceptor} does, exceptions map through
     * {@link GrpcErrors}, and a Connect timeout answers deadline_exceeded while the handler, which
     * does not watch for cancellation in either path, finishes on its own.
     */
    private CompletableFuture<HttpResponse> callDirect(DirectUnary.Handler<Message, Message> handler, String tenantHeader, Message request,
            boolean json, long timeoutMs) {
        String tenant;
        try {
            tenant = Tenants.resolve(tenantHeader, multitenancyEnabled);
        } catch (KilnException e) {
            return CompletableFuture.completedFuture(error(GrpcErrors.toStatus(e)));
        }
        CompletableFuture<HttpResponse> out = new CompletableFuture<>();
        blockingExecutor.execute(() -> {
            try {
                out.complete(success(handler.call(tenant, request), json));
            } catch (Throwable t) {
                out.complete(error(GrpcErrors.toStatus(t)));
            }
        });
        if (timeoutMs >= 0) {
            out.completeOnTimeout(error(ErrorCode.DEADLINE_EXCEEDED, "deadline exceeded after " + timeoutMs + "ms"),
                    timeoutMs, TimeUnit.MILLISECONDS);
        }
        return out;
    }

    /** The Connect error for a gRPC status (for direct handlers: the status {@link Unary} would have sent). */
    private static HttpResponse error(Status s) {
        return error(ErrorCode.fromGrpcCode(s.getCode().value()), s.getDescription() == null ? s.getCode().name() : s.getDescription());
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
            // Alias large byte fields (raw profiles) into the request buffer instead of copying them:
            // protobuf aliases only input it may treat as immutable, which a wrapped ByteString is
            // (the aggregated body is not modified once parsed).
            CodedInputStream in = UnsafeByteOperations.unsafeWrap(content.array()).newCodedInput();
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
