package dev.kiln.queryfrontend;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.QueryParams;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.kiln.common.InvalidInputException;
import dev.kiln.common.KilnException;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.model.AtTime;
import dev.kiln.common.model.LabelNames;
import dev.kiln.common.model.ProfileTypeId;
import dev.kiln.common.selector.Selector;
import dev.kiln.common.server.ConnectService;
import dev.kiln.common.server.GrpcErrors;
import dev.kiln.common.server.KilnServer;
import dev.kiln.common.tenant.Tenants;
import dev.kiln.common.tree.CallTree;
import dev.kiln.common.tree.FlameGraphs;
import dev.kiln.proto.querier.v1.FlameGraph;
import dev.kiln.proto.querier.v1.FlameGraphDiff;
import dev.kiln.proto.querier.v1.Level;
import dev.kiln.proto.query.v1.LabelsRequest;
import dev.kiln.proto.query.v1.RawSeries;
import dev.kiln.proto.query.v1.Selection;
import dev.kiln.proto.query.v1.SeriesResult;
import dev.kiln.proto.query.v1.TimeRange;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Pyroscope's legacy HTTP read API, used by the Profiles Drilldown app and older UIs:
 * {@code GET /pyroscope/render} (flamebearer JSON with a timeline), {@code /pyroscope/render-diff}
 * (flamebearer "double") and {@code /pyroscope/label-values}.
 */
final class RenderApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> OBJECT_UNITS = Set.of("inuse_objects", "alloc_objects", "goroutine", "goroutines", "samples");

    private final QueryFrontend fe;
    private final boolean multitenancy;

    RenderApi(QueryFrontend fe, boolean multitenancy) {
        this.fe = fe;
        this.multitenancy = multitenancy;
    }

    void register(KilnServer server) {
        for (String prefix : List.of("/pyroscope", "")) {
            server.route(HttpMethod.GET, prefix + "/render", (ctx, req) -> handle(ctx, req.headers().get(Tenants.HEADER), this::render));
            server.route(HttpMethod.GET, prefix + "/render-diff", (ctx, req) -> handle(ctx, req.headers().get(Tenants.HEADER), this::renderDiff));
        }
        server.route(HttpMethod.GET, "/pyroscope/label-values", (ctx, req) -> handle(ctx, req.headers().get(Tenants.HEADER), this::labelValues));
    }

    @FunctionalInterface
    private interface Handler {
        Object handle(QueryParams params) throws Exception;
    }

    private HttpResponse handle(ServiceRequestContext ctx, String tenantHeader, Handler h) {
        QueryParams params = QueryParams.fromQueryString(ctx.query());
        CompletableFuture<HttpResponse> out = new CompletableFuture<>();
        // The blocking executor runs virtual threads: waiting for a query slot costs no worker.
        ctx.blockingTaskExecutor().execute(() -> {
            try {
                String tenant = Tenants.resolve(tenantHeader, multitenancy);
                Object body = Tenants.callAs(tenant, () -> fe.timed("render", () -> {
                    try {
                        return h.handle(params);
                    } catch (RuntimeException e) {
                        throw e;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
                out.complete(HttpResponse.of(HttpStatus.OK, MediaType.JSON, JSON.writeValueAsBytes(body)));
            } catch (Throwable t) {
                KilnException k = GrpcErrors.toKiln(t);
                out.complete(ConnectService.error(k.code(), k.getMessage()));
            }
        });
        return HttpResponse.of(out);
    }

    private static long msParam(QueryParams p, String name, long defaultMs) {
        String v = p.get(name);
        if (v == null || v.isBlank()) {
            return defaultMs;
        }
        return AtTime.parseNanos(name, v, System.currentTimeMillis() * 1_000_000L) / 1_000_000L;
    }

    private static long maxNodes(QueryParams p, Limits limits) {
        String v = p.contains("max-nodes") ? p.get("max-nodes") : p.get("maxNodes");
        if (v == null || v.isBlank()) {
            return QueryRequests.maxNodes(false, 0, limits);
        }
        try {
            return QueryRequests.maxNodes(true, Long.parseLong(v.trim()), limits);
        } catch (NumberFormatException e) {
            throw new InvalidInputException("invalid max-nodes '" + v + "'");
        }
    }

    /** A render query: {@code <profile type id>{matchers}}. */
    private record Query(ProfileTypeId type, String selector) {
        static Query parse(String name, String q) {
            if (q == null || q.isBlank()) {
                throw new InvalidInputException(name + " is required, e.g. process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"app\"}");
            }
            Selector s = Selector.parse(q);
            if (s.prefix().isEmpty()) {
                throw new InvalidInputException(name + " must start with a profile type id, e.g. process_cpu:cpu:nanoseconds:cpu:nanoseconds{...}");
            }
            ProfileTypeId type = ProfileTypeId.parse(s.prefix());
            return new Query(type, q.substring(q.indexOf('{') < 0 ? q.length() : q.indexOf('{')));
        }
    }

    /** Timeline resolution as Pyroscope: about 1500 points, at least 15 s, rounded to a readable step. */
    static long stepSeconds(long startMs, long endMs) {
        long ideal = Math.max(1, (endMs - startMs) / 1000 / 1500);
        long[] steps = {15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800};
        for (long s : steps) {
            if (s >= ideal) {
                return s;
            }
        }
        return steps[steps.length - 1];
    }

    private Object render(QueryParams p) {
        if ("dot".equals(p.get("format"))) {
            throw KilnException.unimplemented("format=dot is not implemented by Kiln: use format=json or SelectMergeStacktraces with PROFILE_FORMAT_PPROF");
        }
        Query q = Query.parse("query", p.get("query"));
        Limits limits = fe.limits();
        long now = System.currentTimeMillis();
        long start = msParam(p, "from", now - 3_600_000L);
        long end = msParam(p, "until", now);
        long maxNodes = maxNodes(p, limits);
        TimeRange range = QueryRequests.range(start, end, limits, now);
        Selection sel = QueryRequests.selection(q.type.id(), q.selector, range, List.of(), null);
        List<String> groupBy = p.getAll("groupBy");
        long step = stepSeconds(start, end);
        long alignedStart = Math.floorDiv(start, step * 1000) * step * 1000;
        Selection seriesSel = sel.toBuilder().setRange(TimeRange.newBuilder().setStart(alignedStart).setEnd(end)).build();
        CompletableFuture<SeriesResult> series = fe.async(() -> fe.rawSeries(seriesSel, groupBy.isEmpty() ? List.of() : List.of(groupBy.get(0)), step * 1000));
        CallTree tree = fe.tree(sel);
        FlameGraph fg = FlameGraphs.render(tree, maxNodes);
        SeriesResult raw = QueryFrontend.join(series);
        boolean average = "avg".equals(p.get("aggregation"));

        ObjectNode root = JSON.createObjectNode();
        root.put("version", 1);
        root.set("flamebearer", flamebearer(fg.getNamesList(), fg.getLevelsList(), fg.getTotal(), fg.getMaxSelf()));
        root.set("metadata", metadata(q.type, "single"));
        if (groupBy.isEmpty()) {
            root.set("timeline", timeline(raw.getSeriesCount() == 1 ? raw.getSeries(0) : null, alignedStart, end, step, average));
            root.putNull("groups");
        } else {
            root.set("timeline", timeline(null, alignedStart, end, step, average));
            ObjectNode groups = root.putObject("groups");
            for (RawSeries s : raw.getSeriesList()) {
                String key = s.getLabelsCount() == 0 ? "*" : s.getLabels(0).getValue();
                groups.set(key, timeline(s, alignedStart, end, step, average));
            }
        }
        root.putNull("heatmap");
        return root;
    }

    private static ObjectNode flamebearer(List<String> names, List<Level> levels, long numTicks, long maxSelf) {
        ObjectNode fb = JSON.createObjectNode();
        ArrayNode n = fb.putArray("names");
        names.forEach(n::add);
        ArrayNode lv = fb.putArray("levels");
        for (Level l : levels) {
            ArrayNode a = lv.addArray();
            l.getValuesList().forEach(a::add);
        }
        fb.put("numTicks", numTicks);
        fb.put("maxSelf", maxSelf);
        return fb;
    }

    private static ObjectNode metadata(ProfileTypeId type, String format) {
        ObjectNode md = JSON.createObjectNode();
        md.put("format", format);
        md.put("spyName", "");
        md.put("sampleRate", type.sampleType().equals("cpu") ? 1_000_000_000L : 100);
        String units = OBJECT_UNITS.contains(type.sampleType()) ? "objects" : type.sampleType().equals("cpu") ? "samples" : type.sampleUnit();
        md.put("units", units);
        md.put("name", type.sampleType());
        return md;
    }

    /** Zero-backfilled samples over [start, end) at {@code step} seconds. */
    private static ObjectNode timeline(RawSeries s, long startMs, long endMs, long step, boolean average) {
        ObjectNode t = JSON.createObjectNode();
        t.put("startTime", startMs / 1000);
        long stepMs = step * 1000;
        int points = (int) Math.max(0, Math.min(100_000, Math.ceilDiv(endMs - startMs, stepMs)));
        long[] samples = new long[points];
        if (s != null) {
            for (int i = 0; i < s.getTimestampsCount(); i++) {
                // The series bucket at t covers (t-step, t]; the timeline slot i covers [start+i*step, start+(i+1)*step).
                int slot = (int) ((s.getTimestamps(i) - startMs) / stepMs) - 1;
                slot = Math.max(0, Math.min(points - 1, slot));
                if (points > 0) {
                    double v = average ? s.getSums(i) / Math.max(1, s.getCounts(i)) : s.getSums(i);
                    samples[slot] += Math.round(v);
                }
            }
        }
        ArrayNode a = t.putArray("samples");
        for (long v : samples) {
            a.add(v);
        }
        t.put("durationDelta", step);
        t.putNull("watermarks");
        return t;
    }

    private Object renderDiff(QueryParams p) {
        Query left = Query.parse("leftQuery", p.get("leftQuery"));
        Query right = Query.parse("rightQuery", p.get("rightQuery"));
        if (!left.type.equals(right.type)) {
            throw new InvalidInputException("left and right queries must have the same profile type: " + left.type.id() + " vs " + right.type.id());
        }
        Limits limits = fe.limits();
        long now = System.currentTimeMillis();
        long maxNodes = maxNodes(p, limits);
        Selection ls = QueryRequests.selection(left.type.id(), left.selector,
                QueryRequests.range(msParam(p, "leftFrom", now - 3_600_000L), msParam(p, "leftUntil", now), limits, now), List.of(), null);
        Selection rs = QueryRequests.selection(right.type.id(), right.selector,
                QueryRequests.range(msParam(p, "rightFrom", now - 3_600_000L), msParam(p, "rightUntil", now), limits, now), List.of(), null);
        CompletableFuture<CallTree> lt = fe.async(() -> fe.tree(ls));
        CallTree rt = fe.tree(rs);
        FlameGraphDiff d = FlameGraphs.renderDiff(QueryFrontend.join(lt), rt, maxNodes);
        ObjectNode root = JSON.createObjectNode();
        root.put("version", 1);
        root.set("flamebearer", flamebearer(d.getNamesList(), d.getLevelsList(), d.getTotal(), d.getMaxSelf()));
        root.set("metadata", metadata(left.type, "double"));
        root.putNull("timeline");
        root.putNull("groups");
        root.putNull("heatmap");
        if (d.getLeftTicks() != 0) {
            root.put("leftTicks", d.getLeftTicks());
        }
        if (d.getRightTicks() != 0) {
            root.put("rightTicks", d.getRightTicks());
        }
        return root;
    }

    private Object labelValues(QueryParams p) {
        String label = p.get("label");
        if (label == null || label.isBlank()) {
            throw new InvalidInputException("label is required");
        }
        if (label.equals(LabelNames.NAME)) {
            return fe.profileTypes(TimeRange.getDefaultInstance()).stream().map(dev.kiln.proto.types.v1.ProfileType::getID).toList();
        }
        return fe.labelValues(LabelsRequest.newBuilder().addNames(label).build());
    }
}
