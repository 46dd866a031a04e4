package dev.kiln.queryfrontend;

import dev.kiln.common.InvalidInputException;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.model.ProfileTypeId;
import dev.kiln.common.server.Unary;
import dev.kiln.common.tree.CallTree;
import dev.kiln.common.tree.FlameGraphs;
import dev.kiln.common.tree.PyroscopeTreeBytes;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.querier.v1.AnalyzeQueryRequest;
import dev.kiln.proto.querier.v1.AnalyzeQueryResponse;
import dev.kiln.proto.querier.v1.DiffRequest;
import dev.kiln.proto.querier.v1.DiffResponse;
import dev.kiln.proto.querier.v1.PprofProfile;
import dev.kiln.proto.querier.v1.ProfileFormat;
import dev.kiln.proto.querier.v1.ProfileTypesRequest;
import dev.kiln.proto.querier.v1.ProfileTypesResponse;
import dev.kiln.proto.querier.v1.QuerierServiceGrpc;
import dev.kiln.proto.querier.v1.QueryImpact;
import dev.kiln.proto.querier.v1.QueryScope;
import dev.kiln.proto.querier.v1.SelectHeatmapRequest;
import dev.kiln.proto.querier.v1.SelectHeatmapResponse;
import dev.kiln.proto.querier.v1.SelectMergeProfileRequest;
import dev.kiln.proto.querier.v1.SelectMergeSpanProfileRequest;
import dev.kiln.proto.querier.v1.SelectMergeSpanProfileResponse;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesRequest;
import dev.kiln.proto.querier.v1.SelectMergeStacktracesResponse;
import dev.kiln.proto.querier.v1.SelectSeriesRequest;
import dev.kiln.proto.querier.v1.SelectSeriesResponse;
import dev.kiln.proto.querier.v1.SeriesRequest;
import dev.kiln.proto.querier.v1.SeriesResponse;
import dev.kiln.proto.query.v1.LabelsRequest;
import dev.kiln.proto.query.v1.Selection;
import dev.kiln.proto.query.v1.TimeRange;
import dev.kiln.proto.types.v1.ExemplarType;
import dev.kiln.proto.types.v1.GetProfileStatsRequest;
import dev.kiln.proto.types.v1.GetProfileStatsResponse;
import dev.kiln.proto.types.v1.LabelNamesRequest;
import dev.kiln.proto.types.v1.LabelNamesResponse;
import dev.kiln.proto.types.v1.LabelValuesRequest;
import dev.kiln.proto.types.v1.LabelValuesResponse;
import dev.kiln.proto.types.v1.TimeSeriesAggregationType;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** {@code querier.v1.QuerierService}, exactly as Grafana's Pyroscope data source calls it. */
final class QuerierApi extends QuerierServiceGrpc.QuerierServiceImplBase {
    private final QueryFrontend fe;

    QuerierApi(QueryFrontend fe) {
        this.fe = fe;
    }

    private <T> void run(String method, StreamObserver<T> obs, Supplier<T> body) {
        Unary.run(obs, () -> fe.timed(method, body));
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    @Override
    public void profileTypes(ProfileTypesRequest request, StreamObserver<ProfileTypesResponse> obs) {
        run("ProfileTypes", obs, () -> {
            // Grafana's health check sends start=1000,end=4000: any valid range answers 200.
            TimeRange range = QueryRequests.range(request.getStart(), request.getEnd(), fe.limits(), now());
            return ProfileTypesResponse.newBuilder().addAllProfileTypes(fe.profileTypes(range)).build();
        });
    }

    @Override
    public void labelNames(LabelNamesRequest request, StreamObserver<LabelNamesResponse> obs) {
        run("LabelNames", obs, () -> {
            TimeRange range = QueryRequests.range(request.getStart(), request.getEnd(), fe.limits(), now());
            validateSelectors(request.getMatchersList());
            List<String> names = fe.labelNames(LabelsRequest.newBuilder().setRange(range).addAllMatchers(request.getMatchersList()).build());
            return LabelNamesResponse.newBuilder().addAllNames(names).build();
        });
    }

    @Override
    public void labelValues(LabelValuesRequest request, StreamObserver<LabelValuesResponse> obs) {
        run("LabelValues", obs, () -> {
            if (request.getName().isEmpty()) {
                throw new InvalidInputException("label name is required");
            }
            TimeRange range = QueryRequests.range(request.getStart(), request.getEnd(), fe.limits(), now());
            validateSelectors(request.getMatchersList());
            List<String> values = fe.labelValues(LabelsRequest.newBuilder().setRange(range)
                    .addAllMatchers(request.getMatchersList()).addNames(request.getName()).build());
            return LabelValuesResponse.newBuilder().addAllNames(values).build();
        });
    }

    private static void validateSelectors(List<String> selectors) {
        for (String s : selectors) {
            dev.kiln.common.selector.Selector.parse(s);
        }
    }

    @Override
    public void series(SeriesRequest request, StreamObserver<SeriesResponse> obs) {
        run("Series", obs, () -> {
            TimeRange range = QueryRequests.range(request.getStart(), request.getEnd(), fe.limits(), now());
            validateSelectors(request.getMatchersList());
            var r = fe.series(LabelsRequest.newBuilder().setRange(range).addAllMatchers(request.getMatchersList())
                    .addAllNames(request.getLabelNamesList()).build());
            return SeriesResponse.newBuilder().addAllLabelsSet(r.getLabelsSetList()).build();
        });
    }

    @Override
    public void selectMergeStacktraces(SelectMergeStacktracesRequest request, StreamObserver<SelectMergeStacktracesResponse> obs) {
        run("SelectMergeStacktraces", obs, () -> {
            if (request.getProfileIdSelectorCount() > 0) {
                throw QueryRequests.unimplemented("profile_id_selector");
            }
            if (request.getTraceIdSelectorCount() > 0) {
                throw QueryRequests.unimplemented("trace_id_selector");
            }
            Limits l = fe.limits();
            long maxNodes = QueryRequests.maxNodes(request.hasMaxNodes(), request.getMaxNodes(), l);
            Selection sel = QueryRequests.selection(request.getProfileTypeID(), request.getLabelSelector(),
                    QueryRequests.range(request.getStart(), request.getEnd(), l, now()), request.getSpanSelectorList(),
                    request.hasStackTraceSelector() ? request.getStackTraceSelector() : null);
            SelectMergeStacktracesResponse.Builder out = SelectMergeStacktracesResponse.newBuilder();
            ProfileFormat format = request.getFormat();
            switch (format) {
                case PROFILE_FORMAT_UNSPECIFIED, PROFILE_FORMAT_FLAMEGRAPH -> out.setFlamegraph(FlameGraphs.render(fe.tree(sel), maxNodes));
                case PROFILE_FORMAT_TREE -> out.setTree(com.google.protobuf.ByteString.copyFrom(PyroscopeTreeBytes.encode(fe.tree(sel), maxNodes)));
                case PROFILE_FORMAT_PPROF -> out.setPprof(PprofProfile.newBuilder().setProfile(fe.pprof(sel)));
                case PROFILE_FORMAT_DOT -> throw QueryRequests.unimplemented("PROFILE_FORMAT_DOT");
                default -> throw new InvalidInputException("unknown profile format " + request.getFormatValue());
            }
            return out.build();
        });
    }

    @Override
    public void selectMergeSpanProfile(SelectMergeSpanProfileRequest request, StreamObserver<SelectMergeSpanProfileResponse> obs) {
        run("SelectMergeSpanProfile", obs, () -> {
            Limits l = fe.limits();
            long maxNodes = QueryRequests.maxNodes(request.hasMaxNodes(), request.getMaxNodes(), l);
            Selection sel = QueryRequests.selection(request.getProfileTypeID(), request.getLabelSelector(),
                    QueryRequests.range(request.getStart(), request.getEnd(), l, now()), request.getSpanSelectorList(), null);
            CallTree tree = fe.tree(sel);
            SelectMergeSpanProfileResponse.Builder out = SelectMergeSpanProfileResponse.newBuilder();
            if (request.getFormat() == ProfileFormat.PROFILE_FORMAT_TREE) {
                out.setTree(com.google.protobuf.ByteString.copyFrom(PyroscopeTreeBytes.encode(tree, maxNodes)));
            } else {
                out.setFlamegraph(FlameGraphs.render(tree, maxNodes));
            }
            return out.build();
        });
    }

    @Override
    public void selectMergeProfile(SelectMergeProfileRequest request, StreamObserver<Profile> obs) {
        run("SelectMergeProfile", obs, () -> {
            if (request.getProfileIdSelectorCount() > 0) {
                throw QueryRequests.unimplemented("profile_id_selector");
            }
            if (request.getTraceIdSelectorCount() > 0) {
                throw QueryRequests.unimplemented("trace_id_selector");
            }
            Limits l = fe.limits();
            Selection sel = QueryRequests.selection(request.getProfileTypeID(), request.getLabelSelector(),
                    QueryRequests.range(request.getStart(), request.getEnd(), l, now()), List.of(),
                    request.hasStackTraceSelector() ? request.getStackTraceSelector() : null);
            return fe.pprof(sel);
        });
    }

    @Override
    public void selectSeries(SelectSeriesRequest request, StreamObserver<SelectSeriesResponse> obs) {
        run("SelectSeries", obs, () -> {
            if (request.getExemplarType() == ExemplarType.EXEMPLAR_TYPE_INDIVIDUAL || request.getExemplarType() == ExemplarType.EXEMPLAR_TYPE_SPAN) {
                throw QueryRequests.unimplemented("exemplars (exemplar_type " + request.getExemplarType() + ")");
            }
            if (request.getStep() < 0.001 || Double.isNaN(request.getStep())) {
                throw new InvalidInputException("step must be at least 0.001 seconds, got " + request.getStep());
            }
            Limits l = fe.limits();
            Selection sel = QueryRequests.selection(request.getProfileTypeID(), request.getLabelSelector(),
                    QueryRequests.range(request.getStart(), request.getEnd(), l, now()), List.of(),
                    request.hasStackTraceSelector() ? request.getStackTraceSelector() : null);
            long stepMs = Math.max(1, Math.round(request.getStep() * 1000));
            boolean average = request.hasAggregation() && request.getAggregation() == TimeSeriesAggregationType.TIME_SERIES_AGGREGATION_TYPE_AVERAGE;
            var raw = fe.rawSeries(sel, request.getGroupByList(), stepMs);
            return SelectSeriesResponse.newBuilder()
                    .addAllSeries(QueryFrontend.render(raw, average, request.hasLimit() ? request.getLimit() : 0))
                    .build();
        });
    }

    @Override
    public void selectHeatmap(SelectHeatmapRequest request, StreamObserver<SelectHeatmapResponse> obs) {
        run("SelectHeatmap", obs, () -> {
            throw QueryRequests.unimplemented("SelectHeatmap");
        });
    }

    @Override
    public void diff(DiffRequest request, StreamObserver<DiffResponse> obs) {
        run("Diff", obs, () -> {
            if (!request.hasLeft() || !request.hasRight()) {
                throw new InvalidInputException("diff needs both left and right selections");
            }
            Limits l = fe.limits();
            SelectMergeStacktracesRequest left = request.getLeft();
            SelectMergeStacktracesRequest right = request.getRight();
            long maxNodes = Math.max(QueryRequests.maxNodes(left.hasMaxNodes(), left.getMaxNodes(), l),
                    QueryRequests.maxNodes(right.hasMaxNodes(), right.getMaxNodes(), l));
            Selection ls = QueryRequests.selection(left.getProfileTypeID(), left.getLabelSelector(),
                    QueryRequests.range(left.getStart(), left.getEnd(), l, now()), left.getSpanSelectorList(), null);
            Selection rs = QueryRequests.selection(right.getProfileTypeID(), right.getLabelSelector(),
                    QueryRequests.range(right.getStart(), right.getEnd(), l, now()), right.getSpanSelectorList(), null);
            CompletableFuture<CallTree> lt = fe.async(() -> fe.tree(ls));
            CallTree rt = fe.tree(rs);
            CallTree leftTree = QueryFrontend.join(lt);
            return DiffResponse.newBuilder().setFlamegraph(FlameGraphs.renderDiff(leftTree, rt, maxNodes)).build();
        });
    }

    @Override
    public void getProfileStats(GetProfileStatsRequest request, StreamObserver<GetProfileStatsResponse> obs) {
        run("GetProfileStats", obs, fe::profileStats);
    }

    @Override
    public void analyzeQuery(AnalyzeQueryRequest request, StreamObserver<AnalyzeQueryResponse> obs) {
        run("AnalyzeQuery", obs, () -> {
            dev.kiln.common.selector.Selector sel = dev.kiln.common.selector.Selector.parse(request.getQuery());
            TimeRange range = QueryRequests.range(request.getStart(), request.getEnd(), fe.limits(), now());
            String selector = sel.toString().substring(sel.prefix().length());
            LabelsRequest.Builder lr = LabelsRequest.newBuilder().setRange(range).addMatchers(selector);
            if (!sel.prefix().isEmpty()) {
                ProfileTypeId.parse(sel.prefix());
                lr.setMatchers(0, sel.with(dev.kiln.common.selector.LabelMatcher.eq(dev.kiln.common.model.LabelNames.PROFILE_TYPE,
                        sel.prefix())).toString().substring(sel.prefix().length()));
            }
            long series = fe.series(lr.build()).getLabelsSetCount();
            return AnalyzeQueryResponse.newBuilder()
                    .addQueryScopes(QueryScope.newBuilder().setComponentType("ingesters and store-gateways").setComponentCount(1).setSeriesCount(series))
                    .setQueryImpact(QueryImpact.newBuilder().setTotalQueriedSeries(series).setDeduplicationNeeded(false))
                    .build();
        });
    }
}
