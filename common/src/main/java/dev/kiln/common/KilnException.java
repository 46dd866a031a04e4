package dev.kiln.common;

/**
 * An error with a protocol-neutral code. Expected client errors (bad input, limits) use this so
 * every endpoint answers with the same status and message, and logs carry no stack trace for them.
 */
public class KilnException extends RuntimeException {
    private final ErrorCode code;

    public KilnException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public KilnException(ErrorCode code, String message, Throwable cause) {
        super(message, cause, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    public static KilnException unimplemented(String message) {
        return new KilnException(ErrorCode.UNIMPLEMENTED, message);
    }

    public static KilnException unavailable(String message) {
        return new KilnException(ErrorCode.UNAVAILABLE, message);
    }

    public static KilnException resourceExhausted(String message) {
        return new KilnException(ErrorCode.RESOURCE_EXHAUSTED, message);
    }

    public static KilnException unauthenticated(String message) {
        return new KilnException(ErrorCode.UNAUTHENTICATED, message);
    }
}
