package dev.kiln.queryfrontend;

import dev.kiln.common.InvalidInputException;
import dev.kiln.common.KilnException;
import dev.kiln.common.limits.Limits;
import dev.kiln.proto.query.v1.Selection;
import dev.kiln.proto.query.v1.TimeRange;
import java.util.List;

/** Validation shared by the Connect API and the legacy HTTP API. */
final class QueryRequests {
    private QueryRequests() {}

    /** Pyroscope's ValidateMaxNodes: unset or 0 → the default; above the maximum → invalid_argument. */
    static long maxNodes(boolean set, long requested, Limits limits) {
        if (!set || requested == 0) {
            return limits.maxFlameGraphNodesDefault();
        }
        if (requested < 0) {
            throw new InvalidInputException("max_nodes must be positive, got " + requested);
        }
        if (limits.maxFlameGraphNodesMax() > 0 && requested > limits.maxFlameGraphNodesMax()) {
            throw new InvalidInputException("max_nodes " + requested + " exceeds the limit of " + limits.maxFlameGraphNodesMax()
                    + " (limits.max_flamegraph_nodes_max)");
        }
        return requested;
    }

    /** Checks start/end (ms) against the tenant's query limits and returns the internal range. */
    static TimeRange range(long start, long end, Limits limits, long nowMs) {
        if (start == 0 && end == 0) {
            return TimeRange.getDefaultInstance();
        }
        if (end != 0 && start > end) {
            throw new InvalidInputException("invalid time range: start " + start + " is after end " + end);
        }
        long lookback = limits.maxQueryLookbackDuration().toMillis();
        if (lookback > 0 && start < nowMs - lookback) {
            if (end != 0 && end < nowMs - lookback) {
                throw new InvalidInputException("the query time range is entirely older than the lookback limit of "
                        + limits.maxQueryLookback() + " (limits.max_query_lookback)");
            }
            start = nowMs - lookback;
        }
        long maxLen = limits.maxQueryLengthDuration().toMillis();
        if (maxLen > 0 && end != 0 && end - start > maxLen) {
            throw new InvalidInputException("the query time range exceeds the limit (query length: "
                    + java.time.Duration.ofMillis(end - start) + ", limit: " + limits.maxQueryLength() + ") (limits.max_query_length)");
        }
        return TimeRange.newBuilder().setStart(start).setEnd(end).build();
    }

    static Selection selection(String profileTypeId, String selector, TimeRange range, List<String> spans,
            dev.kiln.proto.types.v1.StackTraceSelector stackTraceSelector) {
        if (profileTypeId == null || profileTypeId.isEmpty()) {
            throw new InvalidInputException("profile_typeID is required, e.g. process_cpu:cpu:nanoseconds:cpu:nanoseconds");
        }
        dev.kiln.common.model.ProfileTypeId.parse(profileTypeId);
        dev.kiln.common.selector.Selector.parse(selector);
        Selection.Builder b = Selection.newBuilder().setProfileTypeId(profileTypeId).setLabelSelector(selector).setRange(range)
                .addAllSpanSelector(spans);
        for (String s : spans) {
            dev.kiln.common.query.SpanIds.parse(s);
        }
        if (stackTraceSelector != null) {
            b.setStackTraceSelector(stackTraceSelector);
        }
        return b.build();
    }

    static KilnException unimplemented(String what) {
        return KilnException.unimplemented(what + " is not implemented by Kiln");
    }
}
