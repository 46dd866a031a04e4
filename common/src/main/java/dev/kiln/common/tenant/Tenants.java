package dev.kiln.common.tenant;

import dev.kiln.common.ErrorCode;
import dev.kiln.common.KilnException;
import io.grpc.Context;
import io.grpc.Metadata;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Tenant identity, carried in the {@code X-Scope-OrgID} header (HTTP) or metadata (gRPC) and in
 * the gRPC {@link Context} while a request runs. With multitenancy off every request belongs to
 * {@code anonymous}. Reads may name several tenants as {@code a|b}; writes must name one.
 */
public final class Tenants {
    public static final String ANONYMOUS = "anonymous";
    public static final String HEADER = "X-Scope-OrgID";
    public static final Metadata.Key<String> METADATA_KEY = Metadata.Key.of("x-scope-orgid", Metadata.ASCII_STRING_MARSHALLER);
    /** The resolved tenant expression of the current call ({@code a} or {@code a|b}). */
    public static final Context.Key<String> CONTEXT_KEY = Context.key("kiln-tenant");
    public static final int MAX_LENGTH = 150;

    private Tenants() {}

    /**
     * Resolves the header value of a request.
     *
     * @throws KilnException {@code unauthenticated} when multitenancy is on and no tenant was sent,
     *     {@code invalid_argument} when a tenant id is not safe to use as a storage path segment
     */
    public static String resolve(String header, boolean multitenancyEnabled) {
        if (!multitenancyEnabled) {
            return ANONYMOUS;
        }
        if (header == null || header.isBlank()) {
            throw new KilnException(ErrorCode.UNAUTHENTICATED, "no org id: the X-Scope-OrgID header is required when multitenancy is enabled");
        }
        TreeSet<String> ids = new TreeSet<>();
        for (String id : header.split("\\|", -1)) {
            validate(id);
            ids.add(id);
        }
        return String.join("|", ids);
    }

    /**
     * Checks a tenant id: 1..150 characters from {@code [A-Za-z0-9!-_.*'()]}, and not "." or "..",
     * so it can be used as an object-storage path segment (the rules Cortex/Mimir use).
     */
    public static void validate(String id) {
        if (id.isEmpty()) {
            throw new KilnException(ErrorCode.INVALID_ARGUMENT, "invalid tenant id: empty");
        }
        if (id.length() > MAX_LENGTH) {
            throw new KilnException(ErrorCode.INVALID_ARGUMENT, "invalid tenant id: longer than " + MAX_LENGTH + " characters");
        }
        if (id.equals(".") || id.equals("..")) {
            throw new KilnException(ErrorCode.INVALID_ARGUMENT, "invalid tenant id '" + id + "'");
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!-_.*'()".indexOf(c) >= 0;
            if (!ok) {
                throw new KilnException(ErrorCode.INVALID_ARGUMENT, "invalid tenant id '" + id + "': character '" + c
                        + "' is not allowed (use letters, digits and !-_.*'())");
            }
        }
    }

    /** The tenant expression of the current gRPC call, or anonymous outside one. */
    public static String current() {
        String t = CONTEXT_KEY.get();
        return t == null ? ANONYMOUS : t;
    }

    /** The tenants of the current call (one for writes, possibly several for reads). */
    public static List<String> currentAll() {
        return split(current());
    }

    public static List<String> split(String expr) {
        List<String> out = new ArrayList<>();
        for (String s : expr.split("\\|")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    /** The single tenant of a write; a multi-tenant expression is rejected. */
    public static String single(String expr) {
        if (expr.indexOf('|') >= 0) {
            throw new KilnException(ErrorCode.INVALID_ARGUMENT, "writes must name exactly one tenant, got '" + expr + "'");
        }
        return expr;
    }

    /** Runs {@code body} with {@code tenant} as the current tenant (for internal calls). */
    public static <T> T callAs(String tenant, java.util.concurrent.Callable<T> body) throws Exception {
        return Context.current().withValue(CONTEXT_KEY, tenant).call(body);
    }
}
