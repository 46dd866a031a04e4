package dev.kiln.common.ring;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The healthy instances an operation should go to, and how many of them may fail.
 *
 * @param instances healthy replicas, in ring-walk order
 * @param maxErrors failures tolerated; {@link #minSuccess()} answers are needed
 */
public record ReplicationSet(List<InstanceDesc> instances, int maxErrors) {

    public ReplicationSet {
        instances = List.copyOf(instances);
        if (maxErrors < 0 || maxErrors > instances.size()) {
            throw new IllegalArgumentException("maxErrors must be within [0, " + instances.size() + "], got " + maxErrors);
        }
    }

    /** Answers needed for the operation to succeed: {@code instances().size() - maxErrors()}. */
    public int minSuccess() {
        return instances.size() - maxErrors;
    }

    /**
     * Calls every instance at once and completes as soon as {@link #minSuccess()} calls succeeded,
     * with their results in completion order. Fails with a {@link QuorumFailedException} as soon as
     * more than {@link #maxErrors()} calls failed, without waiting for the rest. Calls still running
     * when the outcome is decided are neither awaited nor cancelled (a replica write should still
     * land); their results are dropped.
     *
     * @param call starts the call to one instance; throwing counts as that call failing
     */
    public <T> CompletableFuture<List<T>> doUntilQuorum(Function<InstanceDesc, ? extends CompletionStage<T>> call) {
        QuorumTracker<T> tracker = new QuorumTracker<>(minSuccess(), maxErrors);
        if (minSuccess() == 0) {
            tracker.result.complete(List.of());
            return tracker.result;
        }
        for (InstanceDesc instance : instances) {
            CompletionStage<T> stage;
            try {
                stage = call.apply(instance);
            } catch (RuntimeException e) {
                stage = CompletableFuture.failedFuture(e);
            }
            stage.whenComplete((value, error) -> tracker.record(instance, value, error));
        }
        return tracker.result;
    }

    private static final class QuorumTracker<T> {
        private final int needed;
        private final int tolerated;
        private final CompletableFuture<List<T>> result = new CompletableFuture<>();
        private final List<T> successes = new ArrayList<>();
        private final List<String> failureMessages = new ArrayList<>();
        private final List<Throwable> failures = new ArrayList<>();
        private boolean decided;

        QuorumTracker(int needed, int tolerated) {
            this.needed = needed;
            this.tolerated = tolerated;
        }

        void record(InstanceDesc instance, T value, Throwable error) {
            List<T> won = null;
            QuorumFailedException lost = null;
            synchronized (this) {
                if (decided) {
                    return;
                }
                if (error == null) {
                    successes.add(value);
                    if (successes.size() == needed) {
                        decided = true;
                        won = Collections.unmodifiableList(new ArrayList<>(successes));
                    }
                } else {
                    Throwable cause = error instanceof CompletionException && error.getCause() != null
                            ? error.getCause() : error;
                    failures.add(cause);
                    failureMessages.add(instance.id() + " (" + instance.address() + "): " + cause);
                    if (failures.size() > tolerated) {
                        decided = true;
                        lost = new QuorumFailedException("quorum not reached: " + failures.size() + " of "
                                + (needed + tolerated) + " replicas failed, at most " + tolerated
                                + " may fail: " + String.join("; ", failureMessages));
                        failures.forEach(lost::addSuppressed);
                    }
                }
            }
            // Completing outside the lock: dependants run inline and must not hold up other replies.
            if (won != null) {
                result.complete(won);
            } else if (lost != null) {
                result.completeExceptionally(lost);
            }
        }
    }
}
