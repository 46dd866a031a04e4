package dev.kiln.queryfrontend;

import com.google.common.util.concurrent.AbstractIdleService;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.kiln.common.memory.QueryMemoryBudget;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.limits.TenantLimits;
import dev.kiln.common.model.Labels;
import dev.kiln.common.query.SeriesAccumulator;
import dev.kiln.common.server.GrpcErrors;
import dev.kiln.common.server.KilnServer;
import dev.kiln.common.tenant.Tenants;
import dev.kiln.common.tree.CallTree;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.query.v1.LabelsRequest;
import dev.kiln.proto.query.v1.ProfileTypesResult;
import dev.kiln.proto.query.v1.QueryServiceGrpc;
import dev.kiln.proto.query.v1.QueryServiceGrpc.QueryServiceBlockingStub;
import dev.kiln.proto.query.v1.RawSeries;
import dev.kiln.proto.query.v1.Selection;
import dev.kiln.proto.query.v1.SeriesLabels;
import dev.kiln.proto.query.v1.SeriesResult;
import dev.kiln.proto.query.v1.SeriesSelection;
import dev.kiln.proto.query.v1.Strings;
import dev.kiln.proto.query.v1.TimeRange;
import dev.kiln.proto.query.v1.Tree;
import dev.kiln.proto.types.v1.GetProfileStatsResponse;
import dev.kiln.proto.types.v1.Point;
import dev.kiln.proto.types.v1.ProfileType;
import dev.kiln.proto.types.v1.Series;
import dev.kiln.queryfrontend.ui.WebUi;
import io.grpc.Channel;
import io.grpc.Context;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * The query-frontend: the public query API (Connect/gRPC {@code querier.v1.QuerierService} and the
 * legacy {@code /pyroscope/render*} HTTP API) and the built-in web UI at {@code /}. It validates
 * requests against the tenant's limits, cuts long ranges into parts, sends every querier call
 * through the per-tenant fair queue ({@link QueryScheduler}), answers historical parts from the
 * {@link ResultsCache}, merges the parts' mergeable results (trees, raw series) as they arrive and
 * renders them.
 */
public final class QueryFrontend extends AbstractIdleService {
    private final TenantLimits limits;
    private final MeterRegistry registry;
    private final Executor executor;
    private final QueryScheduler scheduler;
    private final ResultsCache cache;
    private final QueryMemoryBudget memory;

    /**
     * @param queriers channels to the queriers (the in-process one, or one per address of
     *     {@code frontend.querier_addresses}); sub-queries are spread over them
     * @param executor runs request handlers and sub-queries, which block on the queriers: it must
     *     not be the executor the queriers' own work runs on, or they can starve each other
     * @param memory   what the merged results of this process's queries may hold at once
     */
    public QueryFrontend(QueryFrontendConfig config, List<Channel> queriers, TenantLimits limits, MeterRegistry registry, Executor executor,
            QueryMemoryBudget memory) {
        this.memory = memory;
        this.limits = limits;
        this.registry = registry;
        this.executor = executor;
        this.scheduler = new QueryScheduler(queriers, config.querierParallelism(), config.maxOutstandingPerTenant(), limits, executor, registry);
        this.cache = new ResultsCache(config.resultsCacheMaxSizeBytes(), config.resultsCacheMinAge(), InstantSource.system(), registry);
    }

    public void register(KilnServer server) {
        server.addPublicService(new QuerierApi(this));
        RenderApi render = new RenderApi(this, server.config().multitenancyEnabled());
        render.register(server);
        new WebUi(server.config().multitenancyEnabled()).register(server);
    }

    @Override
    protected void startUp() {}

    @Override
    protected void shutDown() {}

    /** Runs {@code body} on the query executor in the current gRPC context (which carries the tenant). */
    <T> CompletableFuture<T> async(Supplier<T> body) {
        Context ctx = Context.current();
        return CompletableFuture.supplyAsync(() -> {
            Context previous = ctx.attach();
            try {
                return body.get();
            } finally {
                ctx.detach(previous);
            }
        }, executor);
    }

    static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw GrpcErrors.toKiln(e.getCause());
        }
    }

    Limits limits() {
        List<String> tenants = Tenants.currentAll();
        return limits.forTenant(tenants.get(0));
    }

    /** Answers a query and times it for {@code pyroscope_query_frontend_duration_seconds}. */
    <T> T timed(String method, Supplier<T> body) {
        long start = System.nanoTime();
        String status = "success";
        try {
            return body.get();
        } catch (RuntimeException e) {
            status = GrpcErrors.code(e).connectName();
            throw e;
        } finally {
            Timer.builder("pyroscope.query.frontend.duration")
                    .description("Time spent answering queries in the query-frontend.")
                    .tags("method", method, "status", status)
                    .serviceLevelObjectives(Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
                            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5),
                            Duration.ofSeconds(10), Duration.ofSeconds(30))
                    .register(registry)
                    .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    /** A querier method of {@code kiln.query.v1.QueryService}: its name (for cache keys), call and answer parser. */
    private record Method<Q extends Message, R extends Message>(String name, BiFunction<QueryServiceBlockingStub, Q, R> call,
            Parser<R> parser) {}

    private static final Method<Selection, Tree> SELECT_TREE = new Method<>("SelectTree", QueryServiceBlockingStub::selectTree, Tree.parser());
    private static final Method<Selection, Profile> SELECT_PPROF = new Method<>("SelectPprof", QueryServiceBlockingStub::selectPprof,
            Profile.parser());
    private static final Method<SeriesSelection, SeriesResult> SELECT_SERIES = new Method<>("SelectSeries",
            QueryServiceBlockingStub::selectSeries, SeriesResult.parser());
    private static final Method<LabelsRequest, Strings> LABEL_NAMES = new Method<>("LabelNames", QueryServiceBlockingStub::labelNames,
            Strings.parser());
    private static final Method<LabelsRequest, Strings> LABEL_VALUES = new Method<>("LabelValues", QueryServiceBlockingStub::labelValues,
            Strings.parser());
    private static final Method<LabelsRequest, SeriesLabels> SERIES = new Method<>("Series", QueryServiceBlockingStub::series,
            SeriesLabels.parser());
    private static final Method<TimeRange, ProfileTypesResult> PROFILE_TYPES = new Method<>("ProfileTypes",
            QueryServiceBlockingStub::profileTypes, ProfileTypesResult.parser());
    private static final Method<TimeRange, GetProfileStatsResponse> PROFILE_STATS = new Method<>("ProfileStats",
            QueryServiceBlockingStub::profileStats, GetProfileStatsResponse.parser());

    /**
     * Asks the queriers for every part of one query and hands each answer to {@code merge} as it
     * arrives (never two at once), so the query holds one merged result plus the answers being
     * merged, never all parts. Historical parts come from the results cache when they can.
     *
     * @param endOf the end (ms, inclusive) of a part's range, which decides whether it may be cached
     */
    private <Q extends Message, R extends Message> void query(Method<Q, R> method, List<Q> parts, ToLongFunction<Q> endOf,
            Consumer<R> merge) {
        String tenant = Tenants.current();
        List<QueryScheduler.Call<R>> calls = new ArrayList<>(parts.size());
        // Cached answers are merged here, before any sub-query is queued; the scheduler then hands over
        // the queriers' answers one at a time, after these merges (its queue lock orders them).
        for (Q part : parts) {
            ByteString key = cache.keyFor(tenant, method.name(), part, endOf.applyAsLong(part));
            R cached = key == null ? null : cache.get(key, method.parser());
            if (cached != null) {
                merge.accept(cached);
                continue;
            }
            calls.add(querier -> {
                R answer = method.call().apply(QueryServiceGrpc.newBlockingStub(querier), part);
                if (key != null) {
                    cache.put(key, answer);
                }
                return answer;
            });
        }
        join(scheduler.submit(tenant, calls, merge));
    }

    /** One querier call (one part), through the queue and the cache. */
    private <Q extends Message, R extends Message> R queryOne(Method<Q, R> method, Q request, long endMs) {
        AtomicReference<R> answer = new AtomicReference<>();
        query(method, List.of(request), q -> endMs, answer::set);
        return answer.get();
    }

    /**
     * The merged call tree of a selection. Ranges longer than {@code limits.split_queries_by_interval}
     * are cut into aligned parts, which the queriers answer in parallel (each part reaches different
     * blocks) and whose historical ones are cached.
     */
    CallTree tree(Selection selection) {
        // parts are merged as they come, straight from their protos (a month is 30 parts of a full
        // tree each), into a tree sized like the first and counted against the memory budget
        CallTree[] merged = {null};
        try (QueryMemoryBudget.Reservation held = memory.open()) {
            query(SELECT_TREE, splitSelection(selection, 1), s -> s.getRange().getEnd(), part -> {
                if (merged[0] == null) {
                    merged[0] = new CallTree(part.getParentCount());
                    merged[0].track(held);
                }
                merged[0].merge(part);
            });
        }
        return merged[0] == null ? new CallTree() : merged[0];
    }

    Profile pprof(Selection selection) {
        return queryOne(SELECT_PPROF, selection, selection.getRange().getEnd());
    }

    /**
     * Raw series (sums and counts per bucket), split like {@link #tree}. Parts start on the step grid
     * of the whole range, so their buckets line up and add up.
     */
    SeriesResult rawSeries(Selection selection, List<String> groupBy, long stepMs) {
        SeriesAccumulator merged = new SeriesAccumulator(Math.max(0, selection.getRange().getStart()), stepMs, groupBy);
        List<SeriesSelection> parts = splitSelection(selection, stepMs).stream()
                .map(s -> SeriesSelection.newBuilder().setSelection(s).addAllGroupBy(groupBy).setStepMs(stepMs).build())
                .toList();
        try (QueryMemoryBudget.Reservation held = memory.open()) {
            merged.track(held);
            query(SELECT_SERIES, parts, s -> s.getSelection().getRange().getEnd(), merged::merge);
            return merged.toProto();
        }
    }

    List<String> labelNames(LabelsRequest request) {
        return queryOne(LABEL_NAMES, request, request.getRange().getEnd()).getValuesList();
    }

    List<String> labelValues(LabelsRequest request) {
        return queryOne(LABEL_VALUES, request, request.getRange().getEnd()).getValuesList();
    }

    SeriesLabels series(LabelsRequest request) {
        return queryOne(SERIES, request, request.getRange().getEnd());
    }

    List<ProfileType> profileTypes(TimeRange range) {
        return queryOne(PROFILE_TYPES, range, range.getEnd()).getProfileTypesList();
    }

    GetProfileStatsResponse profileStats() {
        // Stats describe everything stored up to now: never cacheable.
        return queryOne(PROFILE_STATS, TimeRange.getDefaultInstance(), 0);
    }

    /**
     * The parts of a selection's range: cut at multiples of the tenant's
     * {@code limits.split_queries_by_interval}, each cut moved forward onto the grid
     * {@code start + k * gridMs}. Parts are inclusive and adjacent; open ranges and ranges no
     * longer than the interval stay whole.
     */
    private List<Selection> splitSelection(Selection selection, long gridMs) {
        List<long[]> ranges = splitRange(selection.getRange().getStart(), selection.getRange().getEnd(),
                limits().splitQueriesByIntervalDuration().toMillis(), gridMs);
        if (ranges.size() == 1) {
            return List.of(selection);
        }
        return ranges.stream().map(r -> selection.toBuilder().setRange(TimeRange.newBuilder().setStart(r[0]).setEnd(r[1])).build()).toList();
    }

    static List<long[]> splitRange(long start, long end, long intervalMs, long gridMs) {
        if (intervalMs <= 0 || start <= 0 || end <= 0 || end - start <= intervalMs) {
            return List.<long[]>of(new long[] {start, end});
        }
        List<long[]> parts = new ArrayList<>();
        long from = start;
        while (from <= end) {
            long cut = Math.floorDiv(from, intervalMs) * intervalMs + intervalMs;
            long onGrid = start + Math.ceilDiv(cut - start, gridMs) * gridMs;
            parts.add(new long[] {from, Math.min(end, onGrid - 1)});
            from = onGrid;
        }
        return parts;
    }

    /**
     * Renders raw series as Pyroscope does: sum or average per bucket, ms timestamps, and with
     * {@code limit} only the top series by total.
     */
    static List<Series> render(SeriesResult raw, boolean average, long limit) {
        record Ranked(Series series, double total) {}
        List<Ranked> ranked = new ArrayList<>();
        for (RawSeries s : raw.getSeriesList()) {
            Series.Builder b = Series.newBuilder().addAllLabels(s.getLabelsList());
            double total = 0;
            for (int i = 0; i < s.getTimestampsCount(); i++) {
                double v = average ? s.getSums(i) / Math.max(1, s.getCounts(i)) : s.getSums(i);
                total += v;
                b.addPoints(Point.newBuilder().setTimestamp(s.getTimestamps(i)).setValue(v));
            }
            ranked.add(new Ranked(b.build(), total));
        }
        if (limit > 0 && ranked.size() > limit) {
            ranked.sort(Comparator.comparingDouble(Ranked::total).reversed());
            ranked = new ArrayList<>(ranked.subList(0, (int) limit));
            ranked.sort(Comparator.comparing(r -> Labels.fromPairs(r.series.getLabelsList())));
        }
        return ranked.stream().map(Ranked::series).toList();
    }
}
