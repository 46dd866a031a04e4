package dev.kiln.common.query;

import dev.kiln.common.InvalidInputException;
import dev.kiln.common.model.LabelNames;
import dev.kiln.common.model.ProfileTypeId;
import dev.kiln.common.selector.LabelMatcher;
import dev.kiln.common.selector.Selector;
import dev.kiln.proto.query.v1.Selection;
import java.util.Arrays;

/**
 * A parsed, validated profile selection: which series (profile type + label selector), which time
 * range, optionally which spans (per-sample span ids) and which call site (stack prefix), and
 * optionally which profiles ({@code include}: replica deduplication, see {@link #claim}). An
 * include set is consumed as profiles are claimed, so a spec with one serves one aggregation (one
 * request); {@link #including} makes a fresh one.
 */
public record SelectionSpec(TimeRange range, ProfileTypeId profileType, Selector selector, long[] spanIds, String[] callSite,
        ProfileKeyClaims include) {

    /** A selection of every profile of the series and range (no include set). */
    public SelectionSpec(TimeRange range, ProfileTypeId profileType, Selector selector, long[] spanIds, String[] callSite) {
        this(range, profileType, selector, spanIds, callSite, null);
    }

    public static SelectionSpec fromProto(Selection s) {
        ProfileTypeId type = ProfileTypeId.parse(s.getProfileTypeId());
        Selector sel = Selector.parse(s.getLabelSelector()).with(LabelMatcher.eq(LabelNames.PROFILE_TYPE, type.id()));
        long[] spans = null;
        if (s.getSpanSelectorCount() > 0) {
            spans = new long[s.getSpanSelectorCount()];
            for (int i = 0; i < spans.length; i++) {
                spans[i] = SpanIds.parse(s.getSpanSelector(i));
            }
            Arrays.sort(spans);
        }
        String[] callSite = null;
        if (s.hasStackTraceSelector() && s.getStackTraceSelector().getCallSiteCount() > 0) {
            callSite = s.getStackTraceSelector().getCallSiteList().stream().map(l -> l.getName()).toArray(String[]::new);
        }
        if (s.hasStackTraceSelector() && s.getStackTraceSelector().hasGoPgo()) {
            throw new InvalidInputException("stack_trace_selector.go_pgo is not supported");
        }
        ProfileKeyClaims include = s.hasIncludeKeys() ? new ProfileKeyClaims(ProfileKeySet.fromProto(s.getIncludeKeys())) : null;
        return new SelectionSpec(TimeRange.fromProto(s.getRange()), type, sel, spans, callSite, include);
    }

    /** This selection restricted to the profiles whose keys are in {@code keys}. */
    public SelectionSpec including(ProfileKeySet keys) {
        return new SelectionSpec(range, profileType, selector, spanIds, callSite, new ProfileKeyClaims(keys));
    }

    /** Whether an include set leaves nothing to select, so blocks need not be read. */
    public boolean selectsNothing() {
        return include != null && include.isEmpty();
    }

    /**
     * Whether to aggregate a profile of the selected series and range: always without an include
     * set; with one, only if its key is included and this is the first claim of it in the request.
     * Call once per profile, right before aggregating it.
     */
    public boolean claim(long seriesFingerprint, long timeNanos, String profileId) {
        return include == null || include.claim(seriesFingerprint, timeNanos, ProfileKeySet.idHash(profileId));
    }

    public boolean spanSelected(long spanId) {
        return spanIds == null || Arrays.binarySearch(spanIds, spanId) >= 0;
    }

    /**
     * Sums the first {@code n} samples of one profile that pass the span selector and the call-site
     * mask ({@code mask[stack]}; null selects all stacks), adding each into {@code into[stack]}
     * unless {@code into} is null. {@code spans} is null for a profile recorded without span ids,
     * which no span selector matches.
     */
    public long addSamples(int[] stacks, long[] values, int n, long[] spans, boolean[] mask, long[] into) {
        long sum = 0;
        for (int j = 0; j < n; j++) {
            if (spanIds != null && (spans == null || spans[j] == 0 || !spanSelected(spans[j]))) {
                continue;
            }
            if (mask != null && !mask[stacks[j]]) {
                continue;
            }
            if (into != null) {
                into[stacks[j]] += values[j];
            }
            sum += values[j];
        }
        return sum;
    }
}
