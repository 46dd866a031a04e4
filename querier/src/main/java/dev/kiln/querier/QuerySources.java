package dev.kiln.querier;

import dev.kiln.common.query.TimeRange;
import io.grpc.Channel;
import java.util.List;

/** The components a querier reads from for a time range: ingesters (recent) and store-gateways. */
@FunctionalInterface
public interface QuerySources {
    /**
     * One source to query, restricted to the part of the range it is responsible for.
     *
     * @param replicas  channels to processes holding the same data for this source: the first is
     *                  preferred, the others are tried in order when a call fails (e.g. the
     *                  store-gateways owning a block on the ring). Never empty.
     * @param range     the part of the query's range this source answers for
     * @param blockIds  the blocks this source is to read (empty: all it holds for the range)
     * @param tolerable whether the query may do without this source when every replica fails
     *                  (an ingester whose data other ingesters replicate), within the plan's
     *                  {@link Plan#toleratedFailures()}
     */
    record Source(String name, List<Channel> replicas, TimeRange range, List<String> blockIds, boolean tolerable) {
        public Source {
            if (replicas.isEmpty()) {
                throw new IllegalArgumentException("source " + name + " has no replica to call");
            }
            replicas = List.copyOf(replicas);
            blockIds = List.copyOf(blockIds);
        }

        /** This source asked for {@code range} instead. */
        public Source withRange(TimeRange range) {
            return new Source(name, replicas, range, blockIds, tolerable);
        }
    }

    /**
     * How to answer one query.
     *
     * @param deduplicate       whether sources may hold the same profiles (replication factor > 1,
     *                          or overlapping blocks on different sources), so the querier must
     *                          count each profile once (two phases: keys, then aggregation)
     * @param toleratedFailures how many {@linkplain Source#tolerable() tolerable} sources may fail
     *                          entirely with the answer still exact. With replication factor RF an
     *                          acknowledged write is on at least quorum = RF/2+1 ingesters, so up
     *                          to quorum-1 ingesters may be missing (RF=3: 1)
     */
    record Plan(List<Source> sources, boolean deduplicate, int toleratedFailures) {
        public Plan {
            sources = List.copyOf(sources);
        }
    }

    Plan planFor(TimeRange range);
}
