package dev.kiln.distributor.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.QueryParams;
import com.linecorp.armeria.common.multipart.AggregatedBodyPart;
import com.linecorp.armeria.common.multipart.Multipart;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.kiln.common.ErrorCode;
import dev.kiln.common.InvalidInputException;
import dev.kiln.common.KilnException;
import dev.kiln.common.model.AtTime;
import dev.kiln.common.model.LabelNames;
import dev.kiln.common.pprof.ProfileBuilder;
import dev.kiln.common.server.ConnectService;
import dev.kiln.common.server.GrpcErrors;
import dev.kiln.common.tenant.Tenants;
import dev.kiln.distributor.Distributor;
import dev.kiln.distributor.SeriesLabels;
import dev.kiln.proto.ingester.v1.ProfileSeries;
import dev.kiln.proto.ingester.v1.RawProfile;
import dev.kiln.proto.types.v1.LabelPair;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /ingest} (and {@code /pyroscope/ingest}): Pyroscope's legacy ingest API, used by
 * the Go, Java, Node, .NET and older Python/Ruby agents. Formats: pprof (multipart {@code profile}
 * part or raw body with {@code format=pprof}, with {@link SpyFixes} for some agents), JFR
 * ({@code format=jfr}), folded (the default), {@code lines} and {@code speedscope}; Pyroscope
 * 0.x's binary {@code trie} and {@code tree} are rejected with a 400 naming the format.
 * Responses: 200 empty on success, 400 for bad parameters, 422 for profiles that cannot be
 * converted, 429 when a limit is hit, 503 when ingesters are unavailable; errors are
 * {@code {"code","message"}} JSON.
 */
public final class IngestHandler implements HttpService {
    private static final Logger log = LoggerFactory.getLogger(IngestHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Converts a JFR upload (format=jfr) into series; supplied by the JFR module. */
    @FunctionalInterface
    public interface JfrIngest {
        List<ProfileSeries> convert(byte[] jfr, byte[] labelsOrNull, Map<String, String> baseLabels, long defaultTimeNanos);
    }

    private final Distributor distributor;
    private final boolean multitenancy;
    private final Executor executor;
    private final JfrIngest jfr;

    public IngestHandler(Distributor distributor, boolean multitenancy, Executor executor, JfrIngest jfr) {
        this.distributor = distributor;
        this.multitenancy = multitenancy;
        this.executor = executor;
        this.jfr = jfr;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
        String tenant;
        try {
            tenant = Tenants.single(Tenants.resolve(req.headers().get(Tenants.HEADER), multitenancy));
        } catch (KilnException e) {
            return error(e.code().httpStatus(), e.code(), e.getMessage());
        }
        QueryParams params = QueryParams.fromQueryString(ctx.query());
        MediaType ct = req.contentType();
        boolean multipart = ct != null && ct.is(MediaType.MULTIPART_FORM_DATA);
        CompletableFuture<HttpResponse> out = new CompletableFuture<>();
        CompletableFuture<Map<String, byte[]>> body = multipart
                ? Multipart.from(req).aggregate().thenApply(IngestHandler::parts)
                : req.aggregate().thenApply(IngestHandler::single);
        body.whenCompleteAsync((parts, failure) -> {
            if (failure != null) {
                out.complete(error(408, ErrorCode.INVALID_ARGUMENT, "cannot read request body: " + GrpcErrors.message(failure)));
                return;
            }
            try {
                List<ProfileSeries> series = convert(params, multipart, parts);
                if (!series.isEmpty()) {
                    distributor.push(tenant, series);
                }
                out.complete(HttpResponse.of(ResponseHeaders.of(HttpStatus.OK)));
            } catch (IngestParamException e) {
                out.complete(error(400, ErrorCode.INVALID_ARGUMENT, e.getMessage()));
            } catch (Throwable t) {
                ErrorCode code = GrpcErrors.code(t);
                String msg = GrpcErrors.message(t);
                int status = switch (code) {
                    case RESOURCE_EXHAUSTED -> 429;
                    case UNAUTHENTICATED -> 401;
                    case UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN -> 503;
                    default -> 422;
                };
                if (status == 503) {
                    log.atWarn().addKeyValue("tenant", tenant).addKeyValue("error", msg).log("ingest failed");
                }
                out.complete(error(status, code, msg));
            }
        }, executor);
        return HttpResponse.of(out);
    }

    private static Map<String, byte[]> single(AggregatedHttpRequest r) {
        Map<String, byte[]> m = new HashMap<>();
        m.put("", r.content().array());
        return m;
    }

    /** Multipart parts by name; Pyroscope's clients send file parts, plain fields are accepted too. */
    private static Map<String, byte[]> parts(com.linecorp.armeria.common.multipart.AggregatedMultipart m) {
        Map<String, byte[]> out = new HashMap<>();
        for (AggregatedBodyPart p : m.bodyParts()) {
            String name = p.name();
            if (name != null) {
                out.put(name, p.content().array());
            }
        }
        return out;
    }

    /** Raised for bad parameters (400), as opposed to unconvertible profiles (422). */
    static final class IngestParamException extends InvalidInputException {
        IngestParamException(String message) {
            super(message);
        }
    }

    List<ProfileSeries> convert(QueryParams params, boolean multipart, Map<String, byte[]> parts) {
        AppName app;
        long from;
        try {
            app = AppName.parse(params.get("name"));
            long now = System.currentTimeMillis() * 1_000_000L;
            from = AtTime.parseNanos("from", params.get("from"), now);
            AtTime.parseNanos("until", params.get("until"), now);
        } catch (InvalidInputException e) {
            throw new IngestParamException(e.getMessage());
        }
        String format = params.get("format", "");
        String spy = params.get("spyName", "");
        int sampleRate = sampleRate(params.get("sampleRate"));
        return switch (format) {
            case "pprof" -> List.of(pprofSeries(app, spy, body(parts, "", "request body"), from, Map.of(), Set.of()));
            case "jfr" -> {
                byte[] jfrBytes = multipart ? required(parts, "jfr", "jfr field is required") : body(parts, "", "request body");
                Map<String, String> base = binaryLabels(app, spy);
                yield jfr.convert(jfrBytes, multipart ? parts.get("labels") : null, base, from);
            }
            case "trie", "tree" -> throw new IngestParamException("format '" + format
                    + "' (Pyroscope 0.x binary format) is not supported: send pprof, jfr, folded, lines or speedscope");
            case "speedscope" -> speedscopeSeries(app, spy, body(parts, "", "request body"), sampleRate, from);
            case "", "folded", "groups", "lines" -> {
                if (multipart && format.isEmpty()) {
                    yield List.of(multipartPprof(app, spy, parts, from));
                }
                yield textSeries(app, spy, body(parts, "", "request body"), format.equals("lines"), sampleRate, from);
            }
            default -> throw new IngestParamException("unknown format '" + format
                    + "': supported formats are pprof, jfr, folded (default), lines, speedscope");
        };
    }

    private static int sampleRate(String v) {
        if (v == null || v.isBlank()) {
            return 100;
        }
        try {
            int r = Integer.parseInt(v.trim());
            return r < 0 ? 100 : r; // Pyroscope logs and uses the default for invalid rates
        } catch (NumberFormatException e) {
            return 100;
        }
    }

    private static byte[] body(Map<String, byte[]> parts, String name, String what) {
        byte[] b = parts.get(name);
        if (b == null || b.length == 0) {
            throw new InvalidInputException(what + " is empty");
        }
        return b;
    }

    private static byte[] required(Map<String, byte[]> parts, String name, String message) {
        byte[] b = parts.get(name);
        if (b == null || b.length == 0) {
            throw new IngestParamException(message);
        }
        return b;
    }

    private ProfileSeries multipartPprof(AppName app, String spy, Map<String, byte[]> parts, long from) {
        byte[] profile = required(parts, "profile", "profile field is required in the multipart form");
        byte[] prev = parts.get("prev_profile");
        if (prev != null && prev.length > 0) {
            throw new IngestParamException("unsupported client version. Please update github.com/grafana/pyroscope-go to the latest version");
        }
        Map<String, String> display = new HashMap<>();
        Set<String> configured = new HashSet<>();
        byte[] cfg = parts.get("sample_type_config");
        if (cfg != null && cfg.length > 0) {
            try {
                JsonNode root = JSON.readTree(cfg);
                root.fields().forEachRemaining(e -> {
                    configured.add(e.getKey());
                    JsonNode d = e.getValue().get("display-name");
                    if (d != null && d.isTextual()) {
                        display.put(e.getKey(), d.asText());
                    }
                });
            } catch (java.io.IOException e) {
                throw new IngestParamException("invalid sample_type_config: " + e.getMessage().split("\n")[0]);
            }
        }
        return pprofSeries(app, spy, profile, from, display, configured);
    }

    /** Labels of binary (pprof, JFR) uploads: service_name = the application name as given. */
    private static Map<String, String> binaryLabels(AppName app, String spy) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : app.labels().entrySet()) {
            if (!LabelNames.isPrivate(e.getKey()) || e.getKey().equals(LabelNames.SESSION_ID)) {
                labels.put(e.getKey(), e.getValue());
            }
        }
        labels.put(LabelNames.DELTA, "false");
        if (!spy.isEmpty()) {
            labels.put(LabelNames.SPY, spy);
        }
        if (labels.containsKey(LabelNames.SERVICE_NAME)) {
            labels.putIfAbsent(LabelNames.APP_NAME, app.name());
        } else {
            labels.put(LabelNames.SERVICE_NAME, app.name());
        }
        return labels;
    }

    private static ProfileSeries pprofSeries(AppName app, String spy, byte[] pprof, long from, Map<String, String> display,
            Set<String> sampleTypeConfigKeys) {
        return series(binaryLabels(app, spy), SpyFixes.apply(pprof, spy, sampleTypeConfigKeys), from, display);
    }

    /** A series from labels and one pprof payload. */
    public static ProfileSeries series(Map<String, String> labels, byte[] payload, long defaultTimeNanos, Map<String, String> display) {
        List<LabelPair> pairs = new ArrayList<>();
        labels.forEach((k, v) -> pairs.add(LabelPair.newBuilder().setName(k).setValue(v).build()));
        ByteString bytes = UnsafeByteOperations.unsafeWrap(payload);
        return ProfileSeries.newBuilder()
                .addAllLabels(SeriesLabels.normalize(pairs).toPairs())
                .addProfiles(RawProfile.newBuilder().setPayload(bytes).setDefaultTimeNanos(defaultTimeNanos).putAllSampleTypeDisplayNames(display))
                .build();
    }

    private List<ProfileSeries> textSeries(AppName app, String spy, byte[] body, boolean lines, int sampleRate, long from) {
        if (app.labels().containsKey(LabelNames.PROFILE_ID)) {
            return List.of(); // Pyroscope drops text profiles tagged with a profile id
        }
        TextTarget target = textTarget(app.name());
        var profile = TextProfiles.parse(body, lines, target.kind, sampleRate);
        if (profile.sampleCount() == 0) {
            return List.of();
        }
        return List.of(series(textLabels(app, target, spy), profile.timeNanos(from).build().toByteArray(), from, Map.of()));
    }

    /**
     * Speedscope files: one series per (merged) profile, labelled {@code profile_name}. With several
     * profiles, each one's unit is appended to the application name as its kind suffix
     * ({@code app.seconds} is wall time, {@code app.bytes} memory), as Pyroscope does. Time units
     * are converted to nanoseconds exactly; unit {@code none} counts samples at {@code sampleRate}.
     */
    private List<ProfileSeries> speedscopeSeries(AppName app, String spy, byte[] body, int sampleRate, long from) {
        if (app.labels().containsKey(LabelNames.PROFILE_ID)) {
            return List.of();
        }
        List<Speedscope.Parsed> profiles = Speedscope.parse(body);
        List<ProfileSeries> out = new ArrayList<>();
        long period = 1_000_000_000L / (sampleRate > 0 ? sampleRate : 100);
        for (Speedscope.Parsed p : profiles) {
            TextTarget target = textTarget(profiles.size() > 1 ? app.name() + "." + p.unit() : app.name());
            long unitNanos = Speedscope.unitNanos(p.unit(), p.name());
            ProfileBuilder b = new ProfileBuilder();
            double scale = 1;
            if (target.kind.timeBased()) {
                if (p.unit().equals("bytes")) {
                    throw new IngestParamException("speedscope profile '" + p.name() + "' is in bytes but the name asks for a "
                            + target.kind.name() + " profile: use a .bytes suffix or several profiles");
                }
                scale = unitNanos > 0 ? unitNanos : period;
                b.sampleType(target.kind.sampleType(), "nanoseconds").periodType("cpu", "nanoseconds").period(period);
            } else {
                b.sampleType(target.kind.sampleType(), target.kind.sampleUnit());
            }
            for (Speedscope.WeightedStack st : p.stacks()) {
                long v = Math.round(st.weight() * scale);
                if (v > 0 && !st.rootFirst().isEmpty()) {
                    b.add(st.rootFirst(), v);
                }
            }
            if (b.sampleCount() == 0) {
                continue;
            }
            Map<String, String> labels = textLabels(app, target, spy);
            labels.put("profile_name", p.name());
            out.add(series(labels, b.timeNanos(from).build().toByteArray(), from, Map.of()));
        }
        return out;
    }

    /** The application name without its kind suffix, and the kind (cpu when there is no suffix). */
    private record TextTarget(String appName, TextProfiles.Kind kind) {}

    private static TextTarget textTarget(String name) {
        int dot = name.lastIndexOf('.');
        try {
            return new TextTarget(dot < 0 ? name : name.substring(0, dot), TextProfiles.kind(dot < 0 ? "cpu" : name.substring(dot + 1)));
        } catch (InvalidInputException e) {
            throw new IngestParamException(e.getMessage());
        }
    }

    /** Series labels of text-like uploads, as Pyroscope's ingest adapter sets them. */
    private static Map<String, String> textLabels(AppName app, TextTarget target, String spy) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : app.labels().entrySet()) {
            if (!LabelNames.isPrivate(e.getKey()) || e.getKey().equals(LabelNames.SESSION_ID)) {
                labels.put(e.getKey(), e.getValue());
            }
        }
        labels.put(LabelNames.NAME, target.kind.name());
        labels.put(LabelNames.DELTA, "false");
        if (!spy.isEmpty()) {
            labels.put(LabelNames.SPY, spy);
        }
        if (labels.containsKey(LabelNames.SERVICE_NAME)) {
            labels.put(LabelNames.APP_NAME, target.appName);
        } else {
            labels.put(LabelNames.SERVICE_NAME, target.appName);
        }
        return labels;
    }

    private static HttpResponse error(int status, ErrorCode code, String message) {
        HttpResponse r = ConnectService.error(code, message);
        return status == code.httpStatus() ? r : r.mapHeaders(h -> h.toBuilder().status(status).build());
    }
}
