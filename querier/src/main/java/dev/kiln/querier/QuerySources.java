package dev.kiln.querier;

import dev.kiln.common.query.TimeRange;
import io.grpc.Channel;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;

/** The components a querier reads from for a time range: ingesters (recent) and store-gateways. */
@FunctionalInterface
public interface QuerySources {
    /** One source to query, restricted to the part of the range it is responsible for. */
    record Source(String name, Channel channel, TimeRange range) {}

    List<Source> sourcesFor(TimeRange range);

    /** Every query goes to these channels, each asked for the whole range. */
    static QuerySources fixed(List<Source> sources) {
        return range -> sources.stream().map(s -> new Source(s.name(), s.channel(), range)).toList();
    }

    /**
     * Splits every range at {@code now - queryStoreAfter}: the newer part goes to the ingesters,
     * the older part to the store-gateways, so each profile is read from exactly one side.
     */
    static QuerySources split(List<Source> ingesters, List<Source> storeGateways, Duration queryStoreAfter, InstantSource clock) {
        return range -> {
            long cut = clock.millis() - queryStoreAfter.toMillis();
            List<Source> out = new ArrayList<>();
            if (range.endMs() >= cut) {
                TimeRange recent = new TimeRange(Math.max(range.startMs(), cut), range.endMs());
                ingesters.forEach(s -> out.add(new Source(s.name(), s.channel(), recent)));
            }
            if (range.startMs() < cut) {
                TimeRange older = new TimeRange(range.startMs(), Math.min(range.endMs(), cut - 1));
                storeGateways.forEach(s -> out.add(new Source(s.name(), s.channel(), older)));
            }
            return out;
        };
    }
}
