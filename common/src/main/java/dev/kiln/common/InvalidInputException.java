package dev.kiln.common;

/** Malformed or invalid client input: HTTP 400, gRPC/Connect {@code invalid_argument}. */
public class InvalidInputException extends KilnException {
    public InvalidInputException(String message) {
        super(ErrorCode.INVALID_ARGUMENT, message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(ErrorCode.INVALID_ARGUMENT, message, cause);
    }
}
