package dev.kiln.common.query;

import dev.kiln.common.selector.Selector;
import dev.kiln.common.tree.CallTree;
import java.util.List;
import java.util.Set;

/**
 * The read interface every block implements, whether in memory (an ingester head) or in Parquet
 * (a flushed or compacted block): label lookups, the keys of selected profiles, and the three
 * aggregations the query API needs. Implementations add their results into the given accumulators
 * and must be safe to call concurrently with ingestion. Aggregations honour the selection's include
 * set by calling {@link SelectionSpec#claim} for each profile they would add, and only then.
 */
public interface QueryableBlock {
    /** Smallest and largest profile timestamp in the block, in milliseconds. */
    long minTimeMs();

    long maxTimeMs();

    /** Label names of the series matching any of the selectors (all series when none). */
    void labelNames(TimeRange range, List<Selector> selectors, Set<String> out);

    void labelValues(TimeRange range, List<Selector> selectors, String name, Set<String> out);

    /** Label sets of matching series, restricted to {@code names} when not empty. */
    void series(TimeRange range, List<Selector> selectors, List<String> names, Set<dev.kiln.common.model.Labels> out);

    /**
     * Adds the selected samples into a call tree, which other blocks may be adding into at the same
     * time: implementations add through {@link dev.kiln.common.tree.StackResolver#resolve}, which
     * holds the tree's lock.
     */
    void mergeTree(SelectionSpec spec, CallTree out);

    /** Adds per-profile totals of the selected profiles into time-series buckets. */
    void mergeSeries(SelectionSpec spec, SeriesAccumulator out);

    /** Adds the selected samples, with full symbol information, into a pprof builder. */
    void mergePprof(SelectionSpec spec, PprofAccumulator out);

    /**
     * Adds the keys of the profiles of the selected series in the selected range, reading no samples.
     * Span and call-site selectors are ignored, so a profile is listed whether or not it holds a
     * matching sample: they select samples within profiles, which the aggregation after
     * deduplication applies, and replicas of a profile hold the same samples. Listing whole
     * profiles keeps this a scan of ids and timestamps; a profile without matching samples then
     * adds nothing to a tree and a zero to a series, as it does without deduplication.
     */
    void profileKeys(SelectionSpec spec, ProfileKeySet out);

    /** Number of profiles (rows of the profile table), for stats. */
    long profileCount();
}
