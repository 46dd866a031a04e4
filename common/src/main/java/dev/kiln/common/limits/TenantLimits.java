package dev.kiln.common.limits;

/** Looks up the effective limits of a tenant (defaults merged with its runtime overrides). */
@FunctionalInterface
public interface TenantLimits {
    Limits forTenant(String tenant);

    static TenantLimits fixed(Limits limits) {
        return t -> limits;
    }
}
