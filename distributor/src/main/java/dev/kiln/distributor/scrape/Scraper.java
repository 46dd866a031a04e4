package dev.kiln.distributor.scrape;

import com.google.common.util.concurrent.AbstractIdleService;
import com.google.protobuf.UnsafeByteOperations;
import dev.kiln.common.server.GrpcErrors;
import dev.kiln.distributor.Distributor;
import dev.kiln.proto.ingester.v1.ProfileSeries;
import dev.kiln.proto.ingester.v1.RawProfile;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pull mode: fetches pprof from every {@link ScrapeTarget} on its interval and pushes it through
 * the distributor under the target's labels, as if an agent had sent it. Each target starts at an
 * offset within its interval derived from its URL and labels, so targets spread over the interval
 * (as Prometheus and Alloy do) and a restart keeps the same phase. A fetch still running when the
 * next one is due makes that one skip. Target health changes are logged once per change.
 */
public final class Scraper extends AbstractIdleService {
    private static final Logger log = LoggerFactory.getLogger(Scraper.class);

    private final List<ScrapeTarget> targets;
    private final Distributor distributor;
    private ScheduledExecutorService scheduler;
    private ExecutorService fetches;
    private HttpClient http;

    public Scraper(List<ScrapeTarget> targets, Distributor distributor) {
        this.targets = List.copyOf(targets);
        this.distributor = distributor;
    }

    @Override
    protected void startUp() {
        if (targets.isEmpty()) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("kiln-scrape").factory());
        fetches = Executors.newVirtualThreadPerTaskExecutor();
        http = HttpClient.newBuilder().executor(fetches).followRedirects(HttpClient.Redirect.NORMAL).build();
        for (ScrapeTarget t : targets) {
            long intervalMs = t.interval().toMillis();
            long offsetMs = Math.floorMod((t.url().toString() + t.labels()).hashCode(), intervalMs);
            Loop loop = new Loop(t);
            scheduler.scheduleAtFixedRate(loop::trigger, offsetMs, intervalMs, TimeUnit.MILLISECONDS);
        }
        log.atInfo().addKeyValue("targets", targets.size()).log("scraping pprof endpoints");
    }

    @Override
    protected void shutDown() {
        if (scheduler == null) {
            return;
        }
        scheduler.shutdownNow();
        fetches.shutdownNow();
        http.close();
    }

    /** The scrape state of one target. */
    private final class Loop {
        private final ScrapeTarget target;
        private final AtomicBoolean running = new AtomicBoolean();
        private Boolean up;

        Loop(ScrapeTarget target) {
            this.target = target;
        }

        void trigger() {
            if (running.compareAndSet(false, true)) {
                fetches.execute(() -> {
                    try {
                        scrape();
                    } finally {
                        running.set(false);
                    }
                });
            }
        }

        private void scrape() {
            long startNanos = System.currentTimeMillis() * 1_000_000L;
            String error;
            try {
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(target.url()).timeout(target.timeout()).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() != 200) {
                    error = "HTTP " + r.statusCode();
                } else if (r.body().length == 0) {
                    error = "empty response body";
                } else {
                    ProfileSeries series = ProfileSeries.newBuilder()
                            .addAllLabels(target.labels().toPairs())
                            .addProfiles(RawProfile.newBuilder().setPayload(UnsafeByteOperations.unsafeWrap(r.body()))
                                    .setDefaultTimeNanos(startNanos))
                            .build();
                    distributor.push(target.tenant(), List.of(series));
                    error = null;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                error = GrpcErrors.message(e);
            }
            report(error);
        }

        private void report(String error) {
            boolean nowUp = error == null;
            if (up != null && up == nowUp) {
                return;
            }
            up = nowUp;
            if (nowUp) {
                log.atInfo().addKeyValue("job", target.job()).addKeyValue("url", target.url()).log("scrape target up");
            } else {
                log.atWarn().addKeyValue("job", target.job()).addKeyValue("url", target.url()).addKeyValue("error", error)
                        .log("scrape target down");
            }
        }
    }
}
