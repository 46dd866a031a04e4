package dev.kiln.common.ring;

import dev.kiln.common.ErrorCode;
import dev.kiln.common.KilnException;

/**
 * The ring cannot serve the request: it is empty, or too few healthy instances are left to reach a
 * quorum. Callers answer with "unavailable" (HTTP 503 / gRPC UNAVAILABLE) and may retry.
 */
public class RingUnavailableException extends KilnException {

    public RingUnavailableException(String message) {
        super(ErrorCode.UNAVAILABLE, message);
    }
}
