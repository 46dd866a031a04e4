package dev.kiln.common.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class ReplicationSetTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    static InstanceDesc instance(String id) {
        return new InstanceDesc(id, id + ":9095", "", InstanceState.ACTIVE, new int[0], T0, T0);
    }

    /** One pending reply per instance, completed by the test in the order it chooses. */
    private static Map<String, CompletableFuture<String>> replies(String... ids) {
        Map<String, CompletableFuture<String>> replies = new LinkedHashMap<>();
        for (String id : ids) {
            replies.put(id, new CompletableFuture<>());
        }
        return replies;
    }

    private static ReplicationSet set(int maxErrors, String... ids) {
        return new ReplicationSet(Arrays.stream(ids).map(ReplicationSetTest::instance).toList(), maxErrors);
    }

    @Test
    void minSuccessIsSizeMinusMaxErrors() {
        assertEquals(1, set(0, "a").minSuccess());
        assertEquals(2, set(1, "a", "b", "c").minSuccess());
        assertEquals(3, set(2, "a", "b", "c", "d", "e").minSuccess());
        assertEquals("maxErrors must be within [0, 1], got 2",
                assertThrows(IllegalArgumentException.class, () -> set(2, "a")).getMessage());
    }

    @Test
    void completesOnceQuorumSucceededWithoutWaitingForTheRest() throws Exception {
        Map<String, CompletableFuture<String>> replies = replies("a", "b", "c");
        CompletableFuture<List<String>> result = set(1, "a", "b", "c").doUntilQuorum(i -> replies.get(i.id()));

        replies.get("b").complete("from b");
        assertFalse(result.isDone());
        replies.get("a").complete("from a");

        assertEquals(List.of("from b", "from a"), result.get());
        assertFalse(replies.get("c").isDone(), "the third call is neither awaited nor cancelled");
    }

    @Test
    void toleratesUpToMaxErrorsFailures() throws Exception {
        Map<String, CompletableFuture<String>> replies = replies("a", "b", "c", "d", "e");
        CompletableFuture<List<String>> result =
                set(2, "a", "b", "c", "d", "e").doUntilQuorum(i -> replies.get(i.id()));

        replies.get("a").completeExceptionally(new IllegalStateException("disk full"));
        replies.get("b").complete("b");
        replies.get("c").completeExceptionally(new IllegalStateException("timeout"));
        replies.get("d").complete("d");
        assertFalse(result.isDone());
        replies.get("e").complete("e");

        assertEquals(List.of("b", "d", "e"), result.get());
    }

    @Test
    void failsFastOnceMoreThanMaxErrorsFailed() {
        Map<String, CompletableFuture<String>> replies = replies("a", "b", "c");
        CompletableFuture<List<String>> result = set(1, "a", "b", "c").doUntilQuorum(i -> replies.get(i.id()));

        replies.get("a").completeExceptionally(new IllegalStateException("boom a"));
        assertFalse(result.isDone());
        replies.get("c").completeExceptionally(new IllegalStateException("boom c"));

        assertTrue(result.isCompletedExceptionally(), "decided before b answers");
        ExecutionException error = assertThrows(ExecutionException.class, result::get);
        QuorumFailedException quorum = assertInstanceOf(QuorumFailedException.class, error.getCause());
        assertEquals("quorum not reached: 2 of 3 replicas failed, at most 1 may fail: "
                + "a (a:9095): java.lang.IllegalStateException: boom a; "
                + "c (c:9095): java.lang.IllegalStateException: boom c", quorum.getMessage());
        assertEquals(2, quorum.getSuppressed().length);

        replies.get("b").complete("late");
        assertTrue(result.isCompletedExceptionally());
    }

    @Test
    void callThatThrowsCountsAsFailure() {
        CompletableFuture<List<String>> result = set(0, "a").doUntilQuorum(i -> {
            throw new IllegalArgumentException("cannot dial " + i.address());
        });

        ExecutionException error = assertThrows(ExecutionException.class, result::get);
        assertEquals("quorum not reached: 1 of 1 replicas failed, at most 0 may fail: "
                + "a (a:9095): java.lang.IllegalArgumentException: cannot dial a:9095", error.getCause().getMessage());
    }

    @Test
    void wrappedFailuresAreReportedByTheirCause() {
        CompletableFuture<List<String>> result = set(0, "a").doUntilQuorum(i ->
                CompletableFuture.<String>supplyAsync(() -> {
                    throw new IllegalStateException("remote said no");
                }));

        ExecutionException error = assertThrows(ExecutionException.class, result::get);
        assertEquals("quorum not reached: 1 of 1 replicas failed, at most 0 may fail: "
                + "a (a:9095): java.lang.IllegalStateException: remote said no", error.getCause().getMessage());
    }

    @Test
    void emptySetSucceedsImmediately() throws Exception {
        assertEquals(List.of(), new ReplicationSet(List.of(), 0).doUntilQuorum(i -> {
            throw new AssertionError("no instance to call");
        }).get());
    }
}
