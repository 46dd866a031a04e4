package dev.kiln.queryfrontend;

import com.google.common.util.concurrent.AbstractIdleService;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.limits.TenantLimits;
import dev.kiln.common.model.Labels;
import dev.kiln.common.server.GrpcErrors;
import dev.kiln.common.server.KilnServer;
import dev.kiln.common.tenant.Tenants;
import dev.kiln.common.tree.CallTree;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.query.v1.LabelsRequest;
import dev.kiln.proto.query.v1.QueryServiceGrpc;
import dev.kiln.proto.query.v1.RawSeries;
import dev.kiln.proto.query.v1.Selection;
import dev.kiln.proto.query.v1.SeriesResult;
import dev.kiln.proto.query.v1.SeriesSelection;
import dev.kiln.proto.query.v1.TimeRange;
import dev.kiln.proto.query.v1.Tree;
import dev.kiln.proto.types.v1.Point;
import dev.kiln.proto.types.v1.Series;
import dev.kiln.queryfrontend.ui.WebUi;
import io.grpc.Channel;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The query-frontend: the public query API (Connect/gRPC {@code querier.v1.QuerierService} and the
 * legacy {@code /pyroscope/render*} HTTP API) and the built-in web UI at {@code /}. It validates requests against the tenant's limits,
 * asks queriers for mergeable results (trees, raw series) and renders them.
 */
public final class QueryFrontend extends AbstractIdleService {
    private final Channel querier;
    private final TenantLimits limits;
    private final MeterRegistry registry;
    private final Executor executor;

    private final QueryAdmission admission;

    /**
     * @param executor runs request handlers and parallel sub-queries, which block on the queriers:
     *     it must not be the executor the queriers' own work runs on, or they can starve each other
     */
    public QueryFrontend(QueryFrontendConfig config, Channel querier, TenantLimits limits, MeterRegistry registry, Executor executor) {
        this.querier = querier;
        this.limits = limits;
        this.registry = registry;
        this.executor = executor;
        this.admission = new QueryAdmission(limits, config.maxOutstandingPerTenant());
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
    <T> CompletableFuture<T> async(java.util.function.Supplier<T> body) {
        io.grpc.Context ctx = io.grpc.Context.current();
        return CompletableFuture.supplyAsync(() -> {
            io.grpc.Context previous = ctx.attach();
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
        } catch (java.util.concurrent.CompletionException e) {
            throw GrpcErrors.toKiln(e.getCause());
        }
    }

    Limits limits() {
        List<String> tenants = Tenants.currentAll();
        return limits.forTenant(tenants.get(0));
    }

    QueryServiceGrpc.QueryServiceBlockingStub querier() {
        return QueryServiceGrpc.newBlockingStub(querier);
    }

    /**
     * Runs a query under the tenant's concurrency limit and times it for
     * {@code pyroscope_query_frontend_duration_seconds}.
     */
    <T> T timed(String method, java.util.function.Supplier<T> body) {
        long start = System.nanoTime();
        String status = "success";
        try {
            return admission.run(Tenants.current(), body);
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
                    .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    /**
     * The merged call tree of a selection. Ranges longer than {@code limits.split_queries_by_interval}
     * are cut into aligned parts queried in parallel (each part reaches different blocks, so the
     * queriers work on them concurrently) and merged into one tree as they arrive.
     */
    CallTree tree(Selection selection) {
        long interval = limits().splitQueriesByIntervalDuration().toMillis();
        long start = selection.getRange().getStart();
        long end = selection.getRange().getEnd();
        if (interval <= 0 || start <= 0 || end <= 0 || end - start <= interval) {
            return CallTree.fromProto(treePart(selection));
        }
        List<CompletableFuture<Tree>> parts = new ArrayList<>();
        for (long from = start; from <= end; from = Math.floorDiv(from, interval) * interval + interval) {
            long to = Math.min(end, Math.floorDiv(from, interval) * interval + interval - 1);
            Selection part = selection.toBuilder().setRange(selection.getRange().toBuilder().setStart(from).setEnd(to)).build();
            parts.add(async(() -> treePart(part)));
        }
        // parts are merged as they come, straight from their protos: a month is 30 parts of a full tree each
        CallTree merged = null;
        for (CompletableFuture<Tree> f : parts) {
            Tree part = join(f);
            if (merged == null) {
                merged = new CallTree(part.getParentCount());
            }
            merged.merge(part);
        }
        return merged;
    }

    private Tree treePart(Selection selection) {
        try {
            return querier().selectTree(selection);
        } catch (RuntimeException e) {
            throw GrpcErrors.toKiln(e);
        }
    }

    Profile pprof(Selection selection) {
        try {
            return querier().selectPprof(selection);
        } catch (RuntimeException e) {
            throw GrpcErrors.toKiln(e);
        }
    }

    List<String> labelValues(LabelsRequest request) {
        try {
            return querier().labelValues(request).getValuesList();
        } catch (RuntimeException e) {
            throw GrpcErrors.toKiln(e);
        }
    }

    List<dev.kiln.proto.types.v1.ProfileType> profileTypes(TimeRange range) {
        try {
            return querier().profileTypes(range).getProfileTypesList();
        } catch (RuntimeException e) {
            throw GrpcErrors.toKiln(e);
        }
    }

    /** Raw series from the queriers (sums and counts per bucket). */
    SeriesResult rawSeries(Selection selection, List<String> groupBy, long stepMs) {
        try {
            return querier().selectSeries(SeriesSelection.newBuilder().setSelection(selection).addAllGroupBy(groupBy).setStepMs(stepMs).build());
        } catch (RuntimeException e) {
            throw GrpcErrors.toKiln(e);
        }
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
