package dev.kiln.common.ring;

/**
 * More replicas failed than a {@link ReplicationSet} tolerates. The message lists every failure
 * seen until then; the causes are attached as suppressed exceptions.
 */
public class QuorumFailedException extends RuntimeException {

    public QuorumFailedException(String message) {
        super(message);
    }
}
