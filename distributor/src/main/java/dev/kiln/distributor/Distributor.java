package dev.kiln.distributor;

import com.google.common.util.concurrent.AbstractIdleService;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import dev.kiln.common.ErrorCode;
import dev.kiln.common.KilnException;
import dev.kiln.common.io.Gzip;
import dev.kiln.common.limits.TenantLimits;
import dev.kiln.common.model.LabelNames;
import dev.kiln.common.model.Labels;
import com.linecorp.armeria.common.HttpMethod;
import dev.kiln.common.server.GrpcErrors;
import dev.kiln.common.server.KilnServer;
import dev.kiln.distributor.ingest.IngestHandler;
import dev.kiln.common.tenant.Tenants;
import dev.kiln.proto.ingester.v1.ProfileSeries;
import dev.kiln.proto.ingester.v1.PushRequest;
import dev.kiln.proto.ingester.v1.PushResponse;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Receives validated series from every ingest protocol and sends each to the ingesters that own
 * it: the token is a hash of tenant and series labels, all replicas are written in parallel, and a
 * series is accepted once a quorum of them acknowledged it.
 */
public final class Distributor extends AbstractIdleService {
    private final DistributorConfig config;
    private final IngesterRouter router;
    private final MeterRegistry registry;
    private final IngestionRateLimiter rateLimiter;
    /**
     * The per-push histograms by (tenant, profile type): building and registering a meter on every
     * push (tag sorting, the registry's lookup) cost more than recording into it.
     */
    private final Map<TenantType, DistributionSummary> compressedBytes = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<TenantType, DistributionSummary> receivedSamples = new java.util.concurrent.ConcurrentHashMap<>();

    private record TenantType(String tenant, String type) {}

    public Distributor(DistributorConfig config, IngesterRouter router, TenantLimits limits, MeterRegistry registry) {
        this.config = config;
        this.router = router;
        this.registry = registry;
        this.rateLimiter = new IngestionRateLimiter(limits, System::nanoTime);
    }

    /**
     * Registers the push APIs on the public port: {@code push.v1.PusherService} (Connect and gRPC)
     * and the legacy {@code /ingest} endpoint, whose decoding runs on {@code ingestExecutor}.
     */
    public void register(KilnServer server, Executor ingestExecutor, IngestHandler.JfrIngest jfr) {
        PusherService pusher = new PusherService(this);
        server.addPublicService(pusher, List.of(pusher.direct()));
        IngestHandler ingest = new IngestHandler(this, server.config().multitenancyEnabled(), ingestExecutor, jfr);
        server.route(HttpMethod.POST, "/ingest", ingest);
        server.route(HttpMethod.POST, "/pyroscope/ingest", ingest);
    }

    @Override
    protected void startUp() {}

    @Override
    protected void shutDown() {}

    /** Ring token of a series: FNV-1a 32 over the tenant and the sorted labels. */
    public static int token(String tenant, Labels labels) {
        int h = 0x811c9dc5;
        h = fnv(h, tenant);
        for (int i = 0; i < labels.size(); i++) {
            h = fnv(h, labels.name(i));
            h = (h ^ 0xff) * 0x01000193;
            h = fnv(h, labels.value(i));
            h = (h ^ 0xfe) * 0x01000193;
        }
        return h;
    }

    private static int fnv(int h, String s) {
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x01000193;
        }
        return h;
    }

    /**
     * Pushes series (labels already normalized by {@link SeriesLabels}) for a tenant and waits for
     * quorum. Profiles without an id get a random UUID.
     *
     * @throws KilnException with the ingesters' error (e.g. invalid_argument for a malformed
     *     profile) or unavailable when a quorum could not be reached
     */
    public PushResponse push(String tenant, List<ProfileSeries> series) {
        Tenants.single(tenant);
        if (series.isEmpty()) {
            throw new KilnException(ErrorCode.INVALID_ARGUMENT, "no profiles received");
        }
        record Target(ProfileSeries series, IngesterRouter.Replicas replicas) {}
        List<Target> targets = new ArrayList<>(series.size());
        Map<String, List<Integer>> byIngester = new LinkedHashMap<>();
        Map<String, IngesterRouter.Endpoint> endpoints = new HashMap<>();
        acquireRate(tenant, series);
        for (ProfileSeries s : series) {
            ProfileSeries withIds = ensureIds(s);
            Labels labels = Labels.fromPairs(withIds.getLabelsList());
            IngesterRouter.Replicas r = router.replicasFor(token(tenant, labels));
            if (r.endpoints().size() < r.minSuccess()) {
                throw KilnException.unavailable("too few healthy ingesters: " + r.endpoints().size() + " for a quorum of " + r.minSuccess());
            }
            int idx = targets.size();
            targets.add(new Target(withIds, r));
            for (IngesterRouter.Endpoint e : r.endpoints()) {
                // get/put rather than computeIfAbsent: see Ingester.push on lambdas in hot JDK methods
                List<Integer> indexes = byIngester.get(e.id());
                if (indexes == null) {
                    indexes = new ArrayList<>();
                    byIngester.put(e.id(), indexes);
                }
                indexes.add(idx);
                endpoints.put(e.id(), e);
            }
            recordCompressedBytes(tenant, labels, withIds);
        }

        Metadata md = new Metadata();
        md.put(Tenants.METADATA_KEY, tenant);
        AtomicInteger[] acks = new AtomicInteger[targets.size()];
        AtomicInteger[] fails = new AtomicInteger[targets.size()];
        for (int i = 0; i < acks.length; i++) {
            acks[i] = new AtomicInteger();
            fails[i] = new AtomicInteger();
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        AtomicInteger pendingSeries = new AtomicInteger(targets.size());
        java.util.concurrent.atomic.LongAdder samples = new java.util.concurrent.atomic.LongAdder();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        Runnable localPush = null;
        for (Map.Entry<String, List<Integer>> e : byIngester.entrySet()) {
            PushRequest.Builder req = PushRequest.newBuilder();
            for (int idx : e.getValue()) {
                req.addSeries(targets.get(idx).series);
            }
            FutureCallback<PushResponse> replied = new FutureCallback<>() {
                @Override
                public void onSuccess(PushResponse r) {
                    samples.add(r.getSamples());
                    for (int idx : e.getValue()) {
                        if (acks[idx].incrementAndGet() == targets.get(idx).replicas.minSuccess() && pendingSeries.decrementAndGet() == 0) {
                            done.complete(null);
                        }
                    }
                }

                @Override
                public void onFailure(Throwable t) {
                    errors.add(t);
                    for (int idx : e.getValue()) {
                        IngesterRouter.Replicas r = targets.get(idx).replicas;
                        int maxErrors = r.endpoints().size() - r.minSuccess();
                        if (fails[idx].incrementAndGet() == maxErrors + 1) {
                            done.completeExceptionally(t);
                        }
                    }
                }
            };
            IngesterRouter.Endpoint endpoint = endpoints.get(e.getKey());
            if (endpoint.local() != null) {
                // Called on this thread after the remote replicas were sent, so they run meanwhile.
                localPush = () -> {
                    PushResponse response;
                    try {
                        response = endpoint.local().push(tenant, req.build());
                    } catch (Throwable t) {
                        // The same status the ingester's gRPC service would have answered with.
                        replied.onFailure(GrpcErrors.toException(t));
                        return;
                    }
                    replied.onSuccess(response);
                };
                continue;
            }
            var stub = IngesterRouter.stub(endpoint)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
                    .withDeadlineAfter(config.pushTimeout().toMillis(), TimeUnit.MILLISECONDS);
            Futures.addCallback(stub.push(req.build()), replied, MoreExecutors.directExecutor());
        }
        if (localPush != null) {
            localPush.run();
        }
        try {
            done.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw pushError(e.getCause());
        }
        // Every replica reports the same samples; divide by the replication to count them once.
        long replicas = 0;
        for (Target t : targets) {
            replicas += t.replicas.endpoints().size();
        }
        long stored = samples.sum() * targets.size() / Math.max(1, replicas);
        recordSamples(tenant, Labels.fromPairs(targets.get(0).series.getLabelsList()).getOrEmpty(LabelNames.NAME), stored);
        return PushResponse.newBuilder().setProfiles(series.size()).setSamples(stored).build();
    }

    private void acquireRate(String tenant, List<ProfileSeries> series) {
        long bytes = 0;
        int profiles = 0;
        for (ProfileSeries s : series) {
            for (var p : s.getProfilesList()) {
                bytes += Gzip.decompressedSizeHint(p.getPayload());
                profiles++;
            }
        }
        try {
            rateLimiter.acquire(tenant, bytes);
        } catch (KilnException e) {
            registry.counter("pyroscope.discarded.bytes", "reason", "rate_limited", "tenant", tenant).increment(bytes);
            registry.counter("pyroscope.discarded.profiles", "reason", "rate_limited", "tenant", tenant).increment(profiles);
            throw e;
        }
    }

    /** Client errors from an ingester keep their code; anything else means the write is unavailable. */
    private static KilnException pushError(Throwable t) {
        ErrorCode code = GrpcErrors.code(t);
        String msg = GrpcErrors.message(t);
        return switch (code) {
            case INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAUTHENTICATED, FAILED_PRECONDITION -> new KilnException(code, msg);
            default -> new KilnException(ErrorCode.UNAVAILABLE, "push to ingesters failed: " + msg);
        };
    }

    private static ProfileSeries ensureIds(ProfileSeries s) {
        boolean missing = false;
        for (var p : s.getProfilesList()) {
            if (p.getId().isEmpty()) {
                missing = true;
                break;
            }
        }
        if (!missing) {
            return s;
        }
        ProfileSeries.Builder b = s.toBuilder();
        for (int i = 0; i < b.getProfilesCount(); i++) {
            if (b.getProfiles(i).getId().isEmpty()) {
                b.setProfiles(i, b.getProfiles(i).toBuilder().setId(UUID.randomUUID().toString()));
            }
        }
        return b.build();
    }

    private void recordCompressedBytes(String tenant, Labels labels, ProfileSeries s) {
        String type = labels.getOrEmpty(LabelNames.NAME);
        TenantType key = new TenantType(tenant, type);
        DistributionSummary summary = compressedBytes.get(key);
        if (summary == null) {
            summary = compressedBytes.computeIfAbsent(key, k ->
                    DistributionSummary.builder("pyroscope.distributor.received.compressed.bytes")
                            .description("The number of compressed bytes per profile received by the distributor.")
                            .baseUnit("bytes").tags("type", type, "tenant", tenant)
                            .serviceLevelObjectives(1 << 10, 1 << 14, 1 << 16, 1 << 18, 1 << 20, 1 << 22, 1 << 24)
                            .register(registry));
        }
        for (var p : s.getProfilesList()) {
            summary.record(p.getPayload().size());
        }
    }

    private void recordSamples(String tenant, String type, long samples) {
        TenantType key = new TenantType(tenant, type);
        DistributionSummary summary = receivedSamples.get(key);
        if (summary == null) {
            summary = receivedSamples.computeIfAbsent(key, k -> DistributionSummary.builder("pyroscope.distributor.received.samples")
                    .description("The number of samples per profile received by the distributor.")
                    .tags("type", type, "tenant", tenant)
                    .serviceLevelObjectives(10, 100, 1000, 10_000, 100_000)
                    .register(registry));
        }
        summary.record(samples);
    }
}
