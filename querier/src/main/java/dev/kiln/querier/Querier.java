package dev.kiln.querier;

import com.google.common.util.concurrent.AbstractIdleService;
import com.google.common.util.concurrent.ListenableFuture;
import dev.kiln.common.memory.QueryMemoryBudget;
import dev.kiln.common.model.ProfileTypeId;
import dev.kiln.common.model.Labels;
import dev.kiln.common.query.PprofAccumulator;
import dev.kiln.common.query.ProfileKeySet;
import dev.kiln.common.query.SeriesAccumulator;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.server.KilnServer;
import dev.kiln.common.server.Unary;
import dev.kiln.common.tree.CallTree;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.query.v1.LabelsRequest;
import dev.kiln.proto.query.v1.ProfileKeys;
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
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The querier: answers Kiln's internal query API by fanning out to its sources (ingesters for
 * recent data, store-gateways for blocks) and merging their partial results.
 *
 * <p>Every call fails over to a source's replicas; a source whose replicas all fail may be left out
 * only within the plan's tolerance (see {@link SourceCalls}). When the plan says sources overlap
 * (replication), selections run in two phases so that each profile is counted once: every source
 * lists the keys of the profiles it would aggregate, each key is assigned to one source holding it
 * ({@link KeyAssignment}), and each source aggregates only its keys. A source that fails while
 * aggregating hands its keys to other holders, so the answer stays exact.
 */
public final class Querier extends AbstractIdleService {
    private static final Logger log = LoggerFactory.getLogger(Querier.class);

    private final QuerySources sources;
    private final QueryMemoryBudget memory;

    /** @param memory what the merged results of this process's queries may hold at once */
    public Querier(QuerySources sources, QueryMemoryBudget memory) {
        this.sources = sources;
        this.memory = memory;
    }

    public void register(KilnServer server) {
        server.addInternalService(new Service());
    }

    @Override
    protected void startUp() {}

    @Override
    protected void shutDown() {}

    /** A call of one source, given the source (for its range and blocks). */
    @FunctionalInterface
    private interface SourceCall<T> {
        ListenableFuture<T> start(QueryServiceGrpc.QueryServiceFutureStub stub, QuerySources.Source source);
    }

    /** Calls every source of the plan for {@code range} once and returns the answers of those that answered. */
    private <T> Collection<T> fanOut(TimeRange range, SourceCall<T> call) {
        SourceCalls calls = new SourceCalls(sources.planFor(range));
        Map<Integer, T> answers = calls.call(calls.live(), (stub, i) -> call.start(stub, calls.sources().get(i)));
        calls.checkTolerance();
        return answers.values();
    }

    private static LabelsRequest scoped(LabelsRequest request, QuerySources.Source source) {
        return request.toBuilder().setRange(source.range().toProto()).clearBlockIds().addAllBlockIds(source.blockIds()).build();
    }

    private static Selection scoped(Selection request, QuerySources.Source source) {
        return request.toBuilder().setRange(source.range().toProto()).clearBlockIds().addAllBlockIds(source.blockIds())
                .clearIncludeKeys().build();
    }

    /**
     * The partial answers of a selection, each profile counted once, handed to {@code onPart} one
     * at a time as they are taken (so a merge holds its result and one answer, not every answer).
     * {@code call} sends one (scoped) selection to a source.
     */
    private <T> void select(Selection request, BiFunction<QueryServiceGrpc.QueryServiceFutureStub, Selection, ListenableFuture<T>> call,
            Consumer<T> onPart) {
        QuerySources.Plan plan = sources.planFor(TimeRange.fromProto(request.getRange()));
        SourceCalls calls = new SourceCalls(plan);
        List<QuerySources.Source> srcs = plan.sources();
        if (!plan.deduplicate()) {
            calls.call(calls.live(), (stub, i) -> call.apply(stub, scoped(request, srcs.get(i))), (i, part) -> onPart.accept(part));
            calls.checkTolerance();
            return;
        }
        Map<Integer, ProfileKeys> reported = calls.call(calls.live(),
                (stub, i) -> stub.selectProfileKeys(scoped(request, srcs.get(i))));
        calls.checkTolerance();
        KeyAssignment assignment = new KeyAssignment(srcs.size(), reported);
        // Include sets travel as packed columns, about 24 bytes a key: a source assigned a million
        // profiles gets a 24 MB request (sources accept server.grpc_server_max_recv_msg_size, 100 MiB).
        Map<Integer, ProfileKeys> work = assignment.work();
        while (!work.isEmpty()) {
            Map<Integer, ProfileKeys> keysOf = work;
            Set<Integer> answered = calls.call(new ArrayList<>(keysOf.keySet()), (stub, i) -> call.apply(stub,
                    scoped(request, srcs.get(i)).toBuilder().setIncludeKeys(keysOf.get(i)).build()), (i, part) -> onPart.accept(part));
            List<Integer> failed = keysOf.keySet().stream().filter(i -> !answered.contains(i)).toList();
            int lostBefore = assignment.unassigned();
            work = assignment.reassign(failed, i -> !calls.isDown(i));
            int lost = assignment.unassigned() - lostBefore;
            if (lost > 0) {
                // Profiles only failed sources hold: acceptable only as far as losing those sources is.
                calls.checkTolerance();
                log.atWarn().addKeyValue("profiles", lost).log("left out profiles that only failed sources hold");
            }
        }
    }

    private final class Service extends QueryServiceGrpc.QueryServiceImplBase {
        @Override
        public void profileTypes(dev.kiln.proto.query.v1.TimeRange request, StreamObserver<ProfileTypesResult> obs) {
            Unary.run(obs, () -> {
                TreeMap<String, ProfileType> all = new TreeMap<>();
                for (ProfileTypesResult r : fanOut(TimeRange.fromProto(request), (stub, source) -> stub.profileTypes(source.range().toProto()))) {
                    r.getProfileTypesList().forEach(t -> all.put(t.getID(), t));
                }
                return ProfileTypesResult.newBuilder().addAllProfileTypes(all.values()).build();
            });
        }

        @Override
        public void labelNames(LabelsRequest request, StreamObserver<Strings> obs) {
            Unary.run(obs, () -> union(fanOut(TimeRange.fromProto(request.getRange()),
                    (stub, source) -> stub.labelNames(scoped(request, source)))));
        }

        @Override
        public void labelValues(LabelsRequest request, StreamObserver<Strings> obs) {
            Unary.run(obs, () -> union(fanOut(TimeRange.fromProto(request.getRange()),
                    (stub, source) -> stub.labelValues(scoped(request, source)))));
        }

        private Strings union(Collection<Strings> parts) {
            Set<String> all = new TreeSet<>();
            parts.forEach(p -> all.addAll(p.getValuesList()));
            return Strings.newBuilder().addAllValues(all).build();
        }

        @Override
        public void series(LabelsRequest request, StreamObserver<SeriesLabels> obs) {
            Unary.run(obs, () -> {
                TreeSet<Labels> all = new TreeSet<>();
                for (SeriesLabels r : fanOut(TimeRange.fromProto(request.getRange()), (stub, source) -> stub.series(scoped(request, source)))) {
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
                try (QueryMemoryBudget.Reservation held = memory.open()) {
                    TreeParts parts = new TreeParts(held);
                    select(request, QueryServiceGrpc.QueryServiceFutureStub::selectTree, parts);
                    return parts.result();
                }
            });
        }

        @Override
        public void selectPprof(Selection request, StreamObserver<Profile> obs) {
            Unary.run(obs, () -> {
                List<Profile> parts = new ArrayList<>();
                select(request, QueryServiceGrpc.QueryServiceFutureStub::selectPprof, parts::add);
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
                long start = request.hasGridStartMs() ? request.getGridStartMs()
                        : range.startMs() == Long.MIN_VALUE ? 0 : range.startMs();
                try (QueryMemoryBudget.Reservation held = memory.open()) {
                    SeriesAccumulator acc = new SeriesAccumulator(start, request.getStepMs(), request.getGroupByList());
                    acc.track(held);
                    // Sources get clipped ranges (recent part, older part); they bucket on this query's grid.
                    select(request.getSelection(), (stub, selection) -> stub.selectSeries(
                            request.toBuilder().setSelection(selection).setGridStartMs(start).build()), acc::merge);
                    return acc.toProto();
                }
            });
        }

        @Override
        public void selectProfileKeys(Selection request, StreamObserver<ProfileKeys> obs) {
            Unary.run(obs, () -> {
                try (QueryMemoryBudget.Reservation held = memory.open()) {
                    ProfileKeySet all = new ProfileKeySet();
                    all.track(held);
                    for (ProfileKeys keys : fanOut(TimeRange.fromProto(request.getRange()),
                            (stub, source) -> stub.selectProfileKeys(scoped(request, source)))) {
                        all.addAll(ProfileKeySet.fromProto(keys));
                    }
                    return all.toProto();
                }
            });
        }

        @Override
        public void profileStats(dev.kiln.proto.query.v1.TimeRange request, StreamObserver<GetProfileStatsResponse> obs) {
            Unary.run(obs, () -> {
                boolean any = false;
                long oldest = Long.MAX_VALUE;
                long newest = Long.MIN_VALUE;
                for (GetProfileStatsResponse r : fanOut(TimeRange.ALL, (stub, source) -> stub.profileStats(request))) {
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
