package dev.kiln.common.query;

import dev.kiln.common.memory.QueryMemoryBudget;
import dev.kiln.common.model.LabelNames;
import dev.kiln.common.model.Labels;
import dev.kiln.common.model.ProfileTypeId;
import dev.kiln.common.selector.Selector;
import dev.kiln.common.server.ServiceNames;
import dev.kiln.common.server.Unary;
import dev.kiln.common.tenant.Tenants;
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
import io.grpc.Channel;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Kiln's internal query API over a set of blocks: what ingesters (head + local blocks) and
 * store-gateways (object-storage blocks) serve. Blocks are scanned in parallel and their partial
 * results merged; the caller's tenant(s) and the request's block ids pick the blocks.
 *
 * <p>Replica deduplication: {@code SelectProfileKeys} lists the keys of the selected profiles
 * across all blocks, each once; a selection with {@code include_keys} aggregates only those
 * profiles, each once however many of the blocks hold it (see {@link ProfileKeyClaims}).
 */
public final class BlockQueryService extends QueryServiceGrpc.QueryServiceImplBase {
    /** The name ingesters publish this service under (queriers keep the plain QueryService name). */
    public static final String INGESTER_SERVICE = "kiln.query.v1.IngesterQueryService";
    /** The name store-gateways publish this service under. */
    public static final String STORE_GATEWAY_SERVICE = "kiln.query.v1.StoreGatewayQueryService";

    /** Supplies the blocks of a tenant that may hold data in a time range. */
    @FunctionalInterface
    public interface BlockProvider {
        /**
         * @param blockIds when not empty, only these blocks (a querier routes each object-storage
         *     block to one store-gateway); empty for the provider's default set. A provider whose
         *     blocks are not addressed by id (an ingester's head and local blocks) ignores it.
         */
        List<? extends QueryableBlock> blocks(String tenant, TimeRange range, Set<String> blockIds);
    }

    private final BlockProvider provider;
    private final Executor executor;
    private final QueryMemoryBudget memory;

    /** @param memory what the merged results of this process's queries may hold at once */
    public BlockQueryService(BlockProvider provider, Executor executor, QueryMemoryBudget memory) {
        this.provider = provider;
        this.executor = executor;
        this.memory = memory;
    }

    /** This service published as {@code serviceName}, e.g. {@link #INGESTER_SERVICE}. */
    public ServerServiceDefinition bindAs(String serviceName) {
        return ServiceNames.rename(bindService(), serviceName);
    }

    /** A channel on which QueryService stubs reach the blocks published as {@code serviceName}. */
    public static Channel channelTo(Channel channel, String serviceName) {
        return ServiceNames.redirect(channel, QueryServiceGrpc.SERVICE_NAME, serviceName);
    }

    private List<QueryableBlock> blocks(TimeRange range, List<String> blockIds) {
        Set<String> ids = Set.copyOf(blockIds);
        List<QueryableBlock> out = new ArrayList<>();
        for (String tenant : Tenants.currentAll()) {
            for (QueryableBlock b : provider.blocks(tenant, range, ids)) {
                if (b.profileCount() > 0 && range.overlaps(b.minTimeMs(), b.maxTimeMs())) {
                    out.add(b);
                }
            }
        }
        return out;
    }

    /** Runs {@code task} on every block in parallel and waits. */
    private void forEach(List<QueryableBlock> blocks, Consumer<QueryableBlock> task) {
        if (blocks.size() == 1) {
            task.accept(blocks.get(0));
            return;
        }
        CompletableFuture<?>[] fs = new CompletableFuture<?>[blocks.size()];
        for (int i = 0; i < fs.length; i++) {
            QueryableBlock b = blocks.get(i);
            fs[i] = CompletableFuture.runAsync(() -> task.accept(b), executor);
        }
        CompletableFuture.allOf(fs).join();
    }

    private Set<String> labelValuesOf(TimeRange range, List<String> blockIds, List<Selector> selectors, String name) {
        Set<String> out = ConcurrentHashMap.newKeySet();
        forEach(blocks(range, blockIds), b -> b.labelValues(range, selectors, name, out));
        return out;
    }

    @Override
    public void profileTypes(dev.kiln.proto.query.v1.TimeRange request, StreamObserver<ProfileTypesResult> obs) {
        Unary.run(obs, () -> {
            Set<String> ids = new TreeSet<>(labelValuesOf(TimeRange.fromProto(request), List.of(), List.of(), LabelNames.PROFILE_TYPE));
            ProfileTypesResult.Builder b = ProfileTypesResult.newBuilder();
            for (String id : ids) {
                b.addProfileTypes(ProfileTypeId.parse(id).toProto());
            }
            return b.build();
        });
    }

    @Override
    public void labelNames(LabelsRequest request, StreamObserver<Strings> obs) {
        Unary.run(obs, () -> {
            TimeRange range = TimeRange.fromProto(request.getRange());
            List<Selector> selectors = Selector.parseAll(request.getMatchersList());
            Set<String> out = ConcurrentHashMap.newKeySet();
            forEach(blocks(range, request.getBlockIdsList()), b -> b.labelNames(range, selectors, out));
            return Strings.newBuilder().addAllValues(new TreeSet<>(out)).build();
        });
    }

    @Override
    public void labelValues(LabelsRequest request, StreamObserver<Strings> obs) {
        Unary.run(obs, () -> {
            if (request.getNamesCount() != 1) {
                throw new dev.kiln.common.InvalidInputException("label values need exactly one label name");
            }
            TimeRange range = TimeRange.fromProto(request.getRange());
            Set<String> out = labelValuesOf(range, request.getBlockIdsList(), Selector.parseAll(request.getMatchersList()),
                    request.getNames(0));
            return Strings.newBuilder().addAllValues(new TreeSet<>(out)).build();
        });
    }

    @Override
    public void series(LabelsRequest request, StreamObserver<SeriesLabels> obs) {
        Unary.run(obs, () -> {
            TimeRange range = TimeRange.fromProto(request.getRange());
            List<Selector> selectors = Selector.parseAll(request.getMatchersList());
            Set<Labels> out = ConcurrentHashMap.newKeySet();
            forEach(blocks(range, request.getBlockIdsList()), b -> b.series(range, selectors, request.getNamesList(), out));
            List<Labels> sorted = new ArrayList<>(out);
            sorted.sort(null);
            SeriesLabels.Builder r = SeriesLabels.newBuilder();
            for (Labels l : sorted) {
                r.addLabelsSet(dev.kiln.proto.types.v1.Labels.newBuilder().addAllLabels(l.toPairs()));
            }
            return r.build();
        });
    }

    /**
     * The merged call tree of a selection ({@code blockIds}: only those blocks, or all when empty):
     * blocks aggregate in parallel and resolve into one tree (see {@link QueryableBlock#mergeTree}),
     * which counts against the memory budget until it is encoded.
     */
    @Override
    public void selectTree(Selection request, StreamObserver<Tree> obs) {
        Unary.run(obs, () -> {
            SelectionSpec spec = SelectionSpec.fromProto(request);
            try (QueryMemoryBudget.Reservation held = memory.open()) {
                CallTree result = new CallTree();
                result.track(held);
                forEach(blocks(spec.range(), request.getBlockIdsList()), b -> b.mergeTree(spec, result));
                return result.toProto();
            }
        });
    }

    @Override
    public void selectPprof(Selection request, StreamObserver<Profile> obs) {
        Unary.run(obs, () -> {
            SelectionSpec spec = SelectionSpec.fromProto(request);
            PprofAccumulator acc = new PprofAccumulator();
            forEach(blocks(spec.range(), request.getBlockIdsList()), b -> b.mergePprof(spec, acc));
            return acc.build(spec.profileType(), 0, 0);
        });
    }

    @Override
    public void selectSeries(SeriesSelection request, StreamObserver<SeriesResult> obs) {
        Unary.run(obs, () -> {
            SelectionSpec spec = SelectionSpec.fromProto(request.getSelection());
            if (request.getStepMs() <= 0) {
                throw new dev.kiln.common.InvalidInputException("step must be positive");
            }
            long start = request.hasGridStartMs() ? request.getGridStartMs()
                    : spec.range().startMs() == Long.MIN_VALUE ? 0 : spec.range().startMs();
            try (QueryMemoryBudget.Reservation held = memory.open()) {
                SeriesAccumulator acc = new SeriesAccumulator(start, request.getStepMs(), request.getGroupByList());
                acc.track(held);
                forEach(blocks(spec.range(), request.getSelection().getBlockIdsList()), b -> b.mergeSeries(spec, acc));
                return acc.toProto();
            }
        });
    }

    /**
     * The keys of the profiles a selection matches in its blocks, each once however many blocks
     * hold it. Blocks list their keys in parallel, each into a set of its own (a set is not
     * thread-safe), folded into the result one at a time.
     */
    @Override
    public void selectProfileKeys(Selection request, StreamObserver<ProfileKeys> obs) {
        Unary.run(obs, () -> {
            SelectionSpec spec = SelectionSpec.fromProto(request);
            try (QueryMemoryBudget.Reservation held = memory.open()) {
                ProfileKeySet all = trackedKeySet(held);
                forEach(blocks(spec.range(), request.getBlockIdsList()), b -> {
                    ProfileKeySet part = trackedKeySet(held);
                    b.profileKeys(spec, part);
                    synchronized (all) {
                        all.addAll(part);
                    }
                });
                return all.toProto();
            }
        });
    }

    private static ProfileKeySet trackedKeySet(QueryMemoryBudget.Reservation held) {
        ProfileKeySet keys = new ProfileKeySet();
        keys.track(held);
        return keys;
    }

    @Override
    public void profileStats(dev.kiln.proto.query.v1.TimeRange request, StreamObserver<GetProfileStatsResponse> obs) {
        Unary.run(obs, () -> {
            List<QueryableBlock> bs = blocks(TimeRange.ALL, List.of());
            long oldest = Long.MAX_VALUE;
            long newest = Long.MIN_VALUE;
            for (QueryableBlock b : bs) {
                oldest = Math.min(oldest, b.minTimeMs());
                newest = Math.max(newest, b.maxTimeMs());
            }
            GetProfileStatsResponse.Builder r = GetProfileStatsResponse.newBuilder().setDataIngested(!bs.isEmpty());
            if (!bs.isEmpty()) {
                r.setOldestProfileTime(oldest).setNewestProfileTime(newest);
            }
            return r.build();
        });
    }
}
