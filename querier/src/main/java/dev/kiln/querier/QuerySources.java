package dev.kiln.querier;

import dev.kiln.common.query.TimeRange;
import io.grpc.Channel;
import java.util.List;

/** The components a querier reads from for a time range: ingesters (recent) and store-gateways. */
@FunctionalInterface
public interface QuerySources {
    /** One source to query, restricted to the part of the range it is responsible for. */
    record Source(String name, Channel channel, TimeRange range) {}

    List<Source> sourcesFor(TimeRange range);

    /** Every query goes to these channels (all-in-one mode: the local ingester). */
    static QuerySources fixed(List<Source> sources) {
        return range -> sources.stream().map(s -> new Source(s.name(), s.channel(), range)).toList();
    }
}
