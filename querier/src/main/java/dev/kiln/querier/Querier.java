package dev.kiln.querier;

import com.google.common.util.concurrent.AbstractIdleService;
import com.google.common.util.concurrent.ListenableFuture;
import dev.kiln.common.model.ProfileTypeId;
import dev.kiln.common.model.Labels;
import dev.kiln.common.query.PprofAccumulator;
import dev.kiln.common.query.SeriesAccumulator;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.server.GrpcErrors;
import dev.kiln.common.server.KilnServer;
import dev.kiln.common.server.Unary;
import dev.kiln.common.tree.CallTree;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.query.v1.LabelsRequest;
import dev.kiln.proto.query.v1.ProfileTypesResult;
import dev.kiln.proto.query.v1.QueryServiceGrpc;
import dev.kiln.proto.query.v1.Selection;
import dev.kiln.proto.query.v1.SeriesLabels;
import dev.kiln.proto.query.v1.SeriesResult;
import dev.kiln.proto.query.v1.SeriesSelection;
import dev.kiln.proto.query.v1.Strings;
import dev.kiln.proto.query.v1.Tree;
import dev.kiln.proto.types.v1.GetProfileStatsResponse;
import dev.kiln.proto.types.v1.ProfileType;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.function.BiFunction;

/**
 * The querier: answers Kiln's internal query API by fanning out to its sources (ingesters for
 * recent data, store-gateways for blocks) and merging their partial results.
 */
public final class Querier extends AbstractIdleService {
    private final QuerySources sources;

    public Querier(QuerySources sources) {
        this.sources = sources;
    }

    public void register(KilnServer server) {
        server.addInternalService(new Service());
    }

    @Override
    protected void startUp() {}

    @Override
    protected void shutDown() {}

    /** Calls every source in parallel with its clipped range and returns all answers. */
    private <T> List<T> fanOut(TimeRange range, BiFunction<QueryServiceGrpc.QueryServiceFutureStub, TimeRange, ListenableFuture<T>> call) {
        List<QuerySources.Source> srcs = sources.sourcesFor(range);
        List<ListenableFuture<T>> futures = new ArrayList<>(srcs.size());
        for (QuerySources.Source s : srcs) {
            futures.add(call.apply(QueryServiceGrpc.newFutureStub(s.channel()), s.range()));
        }
        List<T> out = new ArrayList<>(futures.size());
        for (ListenableFuture<T> f : futures) {
            try {
                out.add(f.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw GrpcErrors.toKiln(e);
            } catch (ExecutionException e) {
                throw GrpcErrors.toKiln(e.getCause());
            }
        }
        return out;
    }

    private static Selection clip(Selection s, TimeRange r) {
        return s.toBuilder().setRange(r.toProto()).build();
    }

    private final class Service extends QueryServiceGrpc.QueryServiceImplBase {
        @Override
        public void profileTypes(dev.kiln.proto.query.v1.TimeRange request, StreamObserver<ProfileTypesResult> obs) {
            Unary.run(obs, () -> {
                TreeMap<String, ProfileType> all = new TreeMap<>();
                for (ProfileTypesResult r : fanOut(TimeRange.fromProto(request), (stub, range) -> stub.profileTypes(range.toProto()))) {
                    r.getProfileTypesList().forEach(t -> all.put(t.getID(), t));
                }
                return ProfileTypesResult.newBuilder().addAllProfileTypes(all.values()).build();
            });
        }

        @Override
        public void labelNames(LabelsRequest request, StreamObserver<Strings> obs) {
            Unary.run(obs, () -> union(fanOut(TimeRange.fromProto(request.getRange()),
                    (stub, range) -> stub.labelNames(request.toBuilder().setRange(range.toProto()).build()))));
        }

        @Override
        public void labelValues(LabelsRequest request, StreamObserver<Strings> obs) {
            Unary.run(obs, () -> union(fanOut(TimeRange.fromProto(request.getRange()),
                    (stub, range) -> stub.labelValues(request.toBuilder().setRange(range.toProto()).build()))));
        }

        private Strings union(List<Strings> parts) {
            Set<String> all = new TreeSet<>();
            parts.forEach(p -> all.addAll(p.getValuesList()));
            return Strings.newBuilder().addAllValues(all).build();
        }

        @Override
        public void series(LabelsRequest request, StreamObserver<SeriesLabels> obs) {
            Unary.run(obs, () -> {
                TreeSet<Labels> all = new TreeSet<>();
                for (SeriesLabels r : fanOut(TimeRange.fromProto(request.getRange()),
                        (stub, range) -> stub.series(request.toBuilder().setRange(range.toProto()).build()))) {
                    r.getLabelsSetList().forEach(l -> all.add(Labels.fromPairs(l.getLabelsList())));
                }
                SeriesLabels.Builder b = SeriesLabels.newBuilder();
                all.forEach(l -> b.addLabelsSet(dev.kiln.proto.types.v1.Labels.newBuilder().addAllLabels(l.toPairs())));
                return b.build();
            });
        }

        @Override
        public void selectTree(Selection request, StreamObserver<Tree> obs) {
            Unary.run(obs, () -> {
                List<Tree> parts = fanOut(TimeRange.fromProto(request.getRange()), (stub, range) -> stub.selectTree(clip(request, range)));
                if (parts.size() == 1) {
                    // one source (older data lives on store-gateways only): its tree is the answer, no need to rebuild it
                    return parts.get(0);
                }
                CallTree merged = new CallTree(parts.stream().mapToInt(Tree::getParentCount).max().orElse(0));
                for (Tree t : parts) {
                    merged.merge(t);
                }
                return merged.toProto();
            });
        }

        @Override
        public void selectPprof(Selection request, StreamObserver<Profile> obs) {
            Unary.run(obs, () -> {
                List<Profile> parts = fanOut(TimeRange.fromProto(request.getRange()), (stub, range) -> stub.selectPprof(clip(request, range)));
                if (parts.size() == 1) {
                    return parts.get(0);
                }
                PprofAccumulator acc = new PprofAccumulator();
                for (Profile p : parts) {
                    acc.add(p, 0);
                }
                return acc.build(ProfileTypeId.parse(request.getProfileTypeId()), 0, 0);
            });
        }

        @Override
        public void selectSeries(SeriesSelection request, StreamObserver<SeriesResult> obs) {
            Unary.run(obs, () -> {
                TimeRange range = TimeRange.fromProto(request.getSelection().getRange());
                long start = range.startMs() == Long.MIN_VALUE ? 0 : range.startMs();
                SeriesAccumulator acc = new SeriesAccumulator(start, request.getStepMs(), request.getGroupByList());
                for (SeriesResult r : fanOut(range, (stub, rr) -> stub.selectSeries(
                        request.toBuilder().setSelection(clip(request.getSelection(), rr)).build()))) {
                    acc.merge(r);
                }
                return acc.toProto();
            });
        }

        @Override
        public void profileStats(dev.kiln.proto.query.v1.TimeRange request, StreamObserver<GetProfileStatsResponse> obs) {
            Unary.run(obs, () -> {
                boolean any = false;
                long oldest = Long.MAX_VALUE;
                long newest = Long.MIN_VALUE;
                for (GetProfileStatsResponse r : fanOut(TimeRange.ALL, (stub, range) -> stub.profileStats(request))) {
                    if (r.getDataIngested()) {
                        any = true;
                        oldest = Math.min(oldest, r.getOldestProfileTime());
                        newest = Math.max(newest, r.getNewestProfileTime());
                    }
                }
                GetProfileStatsResponse.Builder b = GetProfileStatsResponse.newBuilder().setDataIngested(any);
                if (any) {
                    b.setOldestProfileTime(oldest).setNewestProfileTime(newest);
                }
                return b.build();
            });
        }
    }
}
