package dev.kiln.common.server;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * {@code pyroscope_request_duration_seconds{method,route,status_code,ws}}: the per-route request
 * histogram Pyroscope's dashboards use (dskit's instrumentation), for HTTP, Connect and gRPC.
 */
final class RequestMetrics {
    private static final Duration[] BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(25), Duration.ofSeconds(50), Duration.ofSeconds(100)
    };

    private final MeterRegistry registry;
    /** Timers by (method, route, status): registering one per request (tag sorting, registry lookup) cost more than recording. */
    private final Map<TimerKey, Timer> timers = new ConcurrentHashMap<>();

    private record TimerKey(String method, String route, String status) {}

    RequestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    Function<? super HttpService, ? extends HttpService> decorator() {
        return delegate -> (HttpService) (ServiceRequestContext ctx, com.linecorp.armeria.common.HttpRequest req) -> {
            long start = System.nanoTime();
            String method = req.method().name();
            String route = routeName(ctx.path());
            ctx.log().whenComplete().thenAccept(l -> {
                String status = String.valueOf(l.responseHeaders().status().code());
                String grpcStatus = l.responseTrailers().get("grpc-status");
                if (grpcStatus == null) {
                    grpcStatus = l.responseHeaders().get("grpc-status");
                }
                if (grpcStatus != null && !grpcStatus.equals("0")) {
                    status = "grpc_" + grpcStatus;
                }
                TimerKey key = new TimerKey(method, route, status);
                Timer timer = timers.get(key);
                if (timer == null) {
                    timer = timers.computeIfAbsent(key, k -> Timer.builder("pyroscope.request.duration")
                            .description("Time (in seconds) spent serving HTTP requests.")
                            .tags("method", k.method(), "route", k.route(), "status_code", k.status(), "ws", "false")
                            .serviceLevelObjectives(BUCKETS)
                            .register(registry));
                }
                timer.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
            });
            return delegate.serve(ctx, req);
        };
    }

    /** "/querier.v1.QuerierService/SelectSeries" → "querier_v1_querierservice_selectseries", as dskit names routes. */
    static String routeName(String path) {
        StringBuilder sb = new StringBuilder(path.length());
        boolean underscore = false;
        for (int i = 0; i < path.length(); i++) {
            char c = Character.toLowerCase(path.charAt(i));
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                sb.append(c);
                underscore = false;
            } else if (!underscore && sb.length() > 0) {
                sb.append('_');
                underscore = true;
            }
        }
        int len = sb.length();
        if (len > 0 && sb.charAt(len - 1) == '_') {
            sb.setLength(len - 1);
        }
        return sb.length() == 0 ? "root" : sb.toString().toLowerCase(Locale.ROOT);
    }
}
