package dev.kiln.queryfrontend;

import dev.kiln.common.KilnException;
import dev.kiln.common.limits.TenantLimits;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Per-tenant query concurrency: at most {@code limits.max_concurrent_queries} of a tenant's
 * queries run at once, later ones wait in line (callers run on virtual threads, so waiting is
 * cheap), and beyond {@code query_frontend.max_outstanding_per_tenant} waiting queries the tenant
 * gets resource_exhausted instead of an ever longer queue. One tenant's burst therefore never
 * takes the query workers from the others.
 */
final class QueryAdmission {
    private final TenantLimits limits;
    private final int maxOutstanding;
    private final Map<String, int[]> state = new HashMap<>(); // tenant -> {running, waiting}

    QueryAdmission(TenantLimits limits, int maxOutstanding) {
        this.limits = limits;
        this.maxOutstanding = maxOutstanding;
    }

    <T> T run(String tenant, Supplier<T> body) {
        enter(tenant);
        try {
            return body.get();
        } finally {
            leave(tenant);
        }
    }

    private synchronized void enter(String tenant) {
        int[] s = state.computeIfAbsent(tenant, t -> new int[2]);
        int max = limits.forTenant(tenant.split("\\|")[0]).maxConcurrentQueries();
        if (max <= 0 || s[0] < max) {
            s[0]++;
            return;
        }
        if (s[1] >= maxOutstanding) {
            throw KilnException.resourceExhausted("too many outstanding queries for tenant '" + tenant + "': " + s[0]
                    + " running (limits.max_concurrent_queries) and " + s[1]
                    + " waiting (query_frontend.max_outstanding_per_tenant)");
        }
        s[1]++;
        try {
            while (s[0] >= limits.forTenant(tenant.split("\\|")[0]).maxConcurrentQueries()) {
                wait();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw KilnException.unavailable("query interrupted while waiting for its turn");
        } finally {
            s[1]--;
        }
        s[0]++;
    }

    private synchronized void leave(String tenant) {
        int[] s = state.get(tenant);
        s[0]--;
        if (s[0] == 0 && s[1] == 0) {
            state.remove(tenant);
        }
        notifyAll();
    }

    /** Queries of {@code tenant} running now (for tests and metrics). */
    synchronized int running(String tenant) {
        int[] s = state.get(tenant);
        return s == null ? 0 : s[0];
    }

    synchronized int waiting(String tenant) {
        int[] s = state.get(tenant);
        return s == null ? 0 : s[1];
    }
}
