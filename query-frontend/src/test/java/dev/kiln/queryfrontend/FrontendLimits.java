package dev.kiln.queryfrontend;

import dev.kiln.common.limits.Limits;
import dev.kiln.common.limits.TenantLimits;

/** Default limits with the two that shape query scheduling set. */
final class FrontendLimits {
    private FrontendLimits() {}

    static TenantLimits of(int maxConcurrentQueries, String splitQueriesByInterval) {
        Limits d = Limits.DEFAULTS;
        return TenantLimits.fixed(new Limits(d.ingestionRateMb(), d.ingestionBurstSizeMb(), d.maxLabelNameLength(), d.maxLabelValueLength(),
                d.maxLabelNamesPerSeries(), d.maxProfileSizeBytes(), d.maxProfileStacktraceSamples(), d.maxProfileStacktraceDepth(),
                d.maxProfileSymbolValueLength(), d.rejectOlderThan(), d.rejectNewerThan(), d.maxGlobalSeriesPerTenant(),
                "0s", d.maxQueryLookback(), d.maxFlameGraphNodesDefault(), d.maxFlameGraphNodesMax(),
                maxConcurrentQueries, splitQueriesByInterval, d.retentionPeriod()));
    }
}
