package dev.kiln.common.memory;

import dev.kiln.common.KilnException;
import dev.kiln.common.config.Config;
import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.config.ConfigType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory one process lets the results its queries are merging hold at once: call trees, time
 * series and profile-key sets, whichever component merges them (ingester and store-gateway over
 * their blocks, querier over its sources, query-frontend over the parts of a split query). Each
 * query takes a {@link Reservation} that grows with its results; a query whose growth would take
 * the process past the budget fails with {@code RESOURCE_EXHAUSTED} (HTTP 429) and releases what it
 * held, instead of every query of the process sharing an out-of-memory error. The other queries
 * and everything already ingested are unaffected.
 */
public final class QueryMemoryBudget {
    public static final ConfigKey BUDGET = ConfigKey.of("query.memory_budget_bytes", ConfigType.LONG, 0L,
            "Bytes the merged results of all queries running in a process (call trees, time series, profile-key sets) may "
                    + "hold at once; a query that needs more fails with RESOURCE_EXHAUSTED. 0: a quarter of the JVM's maximum heap.");
    public static final List<ConfigKey> KEYS = List.of(BUDGET);

    private final long limitBytes;
    private final AtomicLong usedBytes = new AtomicLong();
    private final Counter refused;

    public QueryMemoryBudget(long limitBytes, MeterRegistry registry) {
        if (limitBytes <= 0) {
            throw new IllegalArgumentException("the query memory budget must be positive, got " + limitBytes);
        }
        this.limitBytes = limitBytes;
        Gauge.builder("kiln_query_memory_used_bytes", usedBytes, AtomicLong::get)
                .description("bytes held by the merged results of running queries (query.memory_budget_bytes)").register(registry);
        Gauge.builder("kiln_query_memory_budget_bytes", () -> limitBytes).description("query.memory_budget_bytes").register(registry);
        refused = Counter.builder("kiln_query_memory_refused_total")
                .description("queries failed because their merge would exceed query.memory_budget_bytes").register(registry);
    }

    public static QueryMemoryBudget from(Config config, MeterRegistry registry) {
        long configured = config.getLong(BUDGET.path());
        if (configured < 0) {
            throw new ConfigException(BUDGET.path() + " must be >= 0, got " + configured);
        }
        return new QueryMemoryBudget(configured == 0 ? Runtime.getRuntime().maxMemory() / 4 : configured, registry);
    }

    /** A budget that never refuses: for tools and tests that merge outside a server. */
    public static QueryMemoryBudget unlimited() {
        return new QueryMemoryBudget(Long.MAX_VALUE, new SimpleMeterRegistry());
    }

    public long limitBytes() {
        return limitBytes;
    }

    public long usedBytes() {
        return usedBytes.get();
    }

    /** A new, empty reservation for one query (or one part of it); close it when the result is sent. */
    public Reservation open() {
        return new Reservation();
    }

    /** What one query holds; thread-safe, so the blocks of a query may grow it in parallel. */
    public final class Reservation implements AutoCloseable {
        private final AtomicLong held = new AtomicLong();
        private volatile boolean closed;

        private Reservation() {}

        /** Accounts {@code bytes} more, or throws {@code RESOURCE_EXHAUSTED} (holding nothing more) when the budget has no room. */
        public void grow(long bytes) {
            if (bytes <= 0) {
                return;
            }
            long used = usedBytes.addAndGet(bytes);
            if (used > limitBytes) {
                usedBytes.addAndGet(-bytes);
                refused.increment();
                throw KilnException.resourceExhausted(String.format(Locale.ROOT,
                        "query needs more memory to merge its results than query.memory_budget_bytes leaves: it holds %s and asked "
                                + "for %s more, while running queries hold %s of %s; query a shorter range or a narrower selector, "
                                + "or retry when fewer queries run",
                        mib(held.get()), mib(bytes), mib(used - bytes), mib(limitBytes)));
            }
            held.addAndGet(bytes);
            if (closed) {
                // grown by a straggler after the query ended: give it straight back
                release();
            }
        }

        public long heldBytes() {
            return held.get();
        }

        @Override
        public void close() {
            closed = true;
            release();
        }

        private void release() {
            usedBytes.addAndGet(-held.getAndSet(0));
        }
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
