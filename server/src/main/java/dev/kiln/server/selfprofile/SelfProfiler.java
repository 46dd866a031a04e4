package dev.kiln.server.selfprofile;

import com.google.common.util.concurrent.AbstractScheduledService;
import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import dev.kiln.distributor.Distributor;
import dev.kiln.distributor.ingest.JfrUploads;
import dev.kiln.proto.ingester.v1.ProfileSeries;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kiln profiling itself: a Java Flight Recorder recording of this process is cut every interval,
 * converted like an agent's JFR upload and pushed through the distributor into a tenant of its
 * own, so operators can look at Kiln's CPU, allocations and locks in Kiln. Off by default.
 */
public final class SelfProfiler extends AbstractScheduledService {
    private static final Logger log = LoggerFactory.getLogger(SelfProfiler.class);

    public static final List<ConfigKey> KEYS = List.of(
            ConfigKey.of("self_profiling.enabled", ConfigType.BOOLEAN, false, "Profile this Kiln process with Java Flight Recorder and ingest the profiles into itself."),
            ConfigKey.of("self_profiling.tenant", ConfigType.STRING, "anonymous",
                    "Tenant the self-profiles are stored under; with multitenancy enabled use a dedicated one."),
            ConfigKey.of("self_profiling.service_name", ConfigType.STRING, "kiln", "service_name label of the self-profiles."),
            ConfigKey.of("self_profiling.interval", ConfigType.DURATION, Duration.ofSeconds(15), "Length of one self-profile."));

    /** The settings; {@code enabled} false means the service is not created at all. */
    public record Settings(boolean enabled, String tenant, String serviceName, Duration interval) {
        public static Settings from(Config c) {
            return new Settings(c.getBoolean("self_profiling.enabled"), c.getString("self_profiling.tenant"),
                    c.getString("self_profiling.service_name"), c.getDuration("self_profiling.interval"));
        }
    }

    private final Settings settings;
    private final Distributor distributor;
    private final JfrUploads converter;
    private Recording recording;

    public SelfProfiler(Settings settings, Distributor distributor, JfrUploads converter) {
        this.settings = settings;
        this.distributor = distributor;
        this.converter = converter;
    }

    @Override
    protected void startUp() throws IOException, ParseException {
        recording = newRecording();
    }

    private static Recording newRecording() throws IOException, ParseException {
        Recording r = new Recording(Configuration.getConfiguration("profile"));
        r.setToDisk(true);
        r.start();
        return r;
    }

    /** Cuts the current recording, starts the next one, and ingests what was recorded. */
    @Override
    protected void runOneIteration() {
        Recording done = recording;
        try {
            recording = newRecording();
            done.stop();
            Path file = Files.createTempFile("kiln-self", ".jfr");
            try {
                done.dump(file);
                List<ProfileSeries> series = converter.convert(Files.readAllBytes(file), null,
                        Map.of("service_name", settings.serviceName()), System.currentTimeMillis() * 1_000_000L);
                if (!series.isEmpty()) {
                    distributor.push(settings.tenant(), series);
                }
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException | ParseException | RuntimeException e) {
            log.atWarn().addKeyValue("err", String.valueOf(e.getMessage())).log("self-profile not ingested");
        } finally {
            done.close();
        }
    }

    @Override
    protected void shutDown() {
        if (recording != null) {
            recording.close();
        }
    }

    @Override
    protected Scheduler scheduler() {
        long ms = Math.max(1000, settings.interval().toMillis());
        return Scheduler.newFixedDelaySchedule(ms, ms, TimeUnit.MILLISECONDS);
    }
}
