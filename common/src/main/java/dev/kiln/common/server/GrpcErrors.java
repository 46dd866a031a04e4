package dev.kiln.common.server;

import dev.kiln.common.ErrorCode;
import dev.kiln.common.KilnException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps exceptions to gRPC statuses once, for every service. */
public final class GrpcErrors {
    private static final Logger log = LoggerFactory.getLogger(GrpcErrors.class);

    private GrpcErrors() {}

    public static Status toStatus(Throwable t) {
        Throwable e = unwrap(t);
        if (e instanceof KilnException k) {
            return Status.fromCodeValue(k.code().grpcCode()).withDescription(k.getMessage());
        }
        if (e instanceof StatusRuntimeException s) {
            return s.getStatus();
        }
        if (e instanceof StatusException s) {
            return s.getStatus();
        }
        if (e instanceof java.util.concurrent.CancellationException) {
            return Status.CANCELLED.withDescription("request canceled");
        }
        if (e instanceof OutOfMemoryError) {
            log.atError().setCause(e).log("out of memory while serving a request");
            return Status.RESOURCE_EXHAUSTED.withDescription("out of memory");
        }
        log.atError().setCause(e).log("unexpected error while serving a request");
        return Status.INTERNAL.withDescription("internal error: " + e);
    }

    public static StatusRuntimeException toException(Throwable t) {
        return toStatus(t).asRuntimeException();
    }

    /** The code of any error, e.g. one that came back from a downstream gRPC call. */
    public static ErrorCode code(Throwable t) {
        Throwable e = unwrap(t);
        if (e instanceof KilnException k) {
            return k.code();
        }
        if (e instanceof StatusRuntimeException s) {
            return ErrorCode.fromGrpcCode(s.getStatus().getCode().value());
        }
        if (e instanceof StatusException s) {
            return ErrorCode.fromGrpcCode(s.getStatus().getCode().value());
        }
        return ErrorCode.INTERNAL;
    }

    /** The message of any error without the "CODE: " prefix gRPC adds. */
    public static String message(Throwable t) {
        Throwable e = unwrap(t);
        if (e instanceof StatusRuntimeException s) {
            return s.getStatus().getDescription() == null ? s.getStatus().getCode().name() : s.getStatus().getDescription();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /**
     * Converts a downstream failure into a {@link KilnException} that keeps its code and message.
     * Anything that is neither a Kiln error nor a gRPC status is a bug: it is logged with its stack.
     */
    public static KilnException toKiln(Throwable t) {
        Throwable e = unwrap(t);
        if (e instanceof KilnException k) {
            return k;
        }
        if (!(e instanceof StatusRuntimeException || e instanceof StatusException)) {
            Status s = toStatus(e);
            return new KilnException(ErrorCode.fromGrpcCode(s.getCode().value()), s.getDescription(), e);
        }
        return new KilnException(code(e), message(e), e);
    }

    public static Throwable unwrap(Throwable t) {
        Throwable e = t;
        while ((e instanceof java.util.concurrent.CompletionException || e instanceof java.util.concurrent.ExecutionException)
                && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
