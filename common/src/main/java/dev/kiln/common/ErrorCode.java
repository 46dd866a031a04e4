package dev.kiln.common;

/**
 * Error codes shared by every protocol Kiln speaks. Each maps once to a gRPC status, a Connect
 * code (the lower-snake name) and an HTTP status, following connectrpc.com's table.
 */
public enum ErrorCode {
    CANCELED(1, 499),
    UNKNOWN(2, 500),
    INVALID_ARGUMENT(3, 400),
    DEADLINE_EXCEEDED(4, 504),
    NOT_FOUND(5, 404),
    ALREADY_EXISTS(6, 409),
    PERMISSION_DENIED(7, 403),
    RESOURCE_EXHAUSTED(8, 429),
    FAILED_PRECONDITION(9, 400),
    ABORTED(10, 409),
    OUT_OF_RANGE(11, 400),
    UNIMPLEMENTED(12, 501),
    INTERNAL(13, 500),
    UNAVAILABLE(14, 503),
    DATA_LOSS(15, 500),
    UNAUTHENTICATED(16, 401);

    private final int grpcCode;
    private final int httpStatus;

    ErrorCode(int grpcCode, int httpStatus) {
        this.grpcCode = grpcCode;
        this.httpStatus = httpStatus;
    }

    public int grpcCode() {
        return grpcCode;
    }

    public int httpStatus() {
        return httpStatus;
    }

    /** The Connect protocol's name for this code, e.g. {@code invalid_argument}. */
    public String connectName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static ErrorCode fromGrpcCode(int code) {
        for (ErrorCode c : values()) {
            if (c.grpcCode == code) {
                return c;
            }
        }
        return UNKNOWN;
    }
}
