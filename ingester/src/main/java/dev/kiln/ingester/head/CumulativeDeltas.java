package dev.kiln.ingester.head;

import dev.kiln.common.model.Labels;
import dev.kiln.common.pprof.PprofData;
import dev.kiln.common.pprof.PprofRefs;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Server-side deltas of cumulative profiles. Go's allocation, mutex and block profiles (as served
 * by {@code net/http/pprof}) hold running totals since the process started; a client that sends
 * them without {@code __delta__="false"} gets each stored profile replaced by its growth since the
 * previous one of the same series, so that merging profiles over time adds up correctly.
 *
 * <p>Pyroscope's rules (v1 ingester head): per series, the highest value seen per stack is kept;
 * the first profile of a series only sets that base and stores nothing; a stack whose value went
 * down means the process restarted, so the profile becomes the new base and stores nothing; a new
 * stack counts in full. Pyroscope does this for {@code memory} {@code alloc_objects} and
 * {@code alloc_space}; Kiln also does it for {@code mutex} and {@code block} {@code contentions}
 * and {@code delay}, which are cumulative in the same way (Pyroscope leaves those to the client).
 *
 * <p>Why the ingester: every replica of a series receives every push of that series (the ring
 * sends it to the same replication-factor ingesters), so each replica computes the same deltas on
 * its own. A distributor only sees the pushes a load balancer happened to give it. The state is
 * memory only: after a restart, or when the ring moves a series to another ingester, the next
 * profile is a new base (as after a Pyroscope ingester restart), and write-ahead-log replay, which
 * appends logged profiles in order, rebuilds the state as it goes. Series idle for an hour are
 * forgotten.
 *
 * <p>Stacks are identified by content (function names, file names and lines, or address and
 * mapping for unsymbolized frames), not by ids, so they match across profiles and head blocks.
 */
public final class CumulativeDeltas {
    static final long IDLE_MILLIS = TimeUnit.HOURS.toMillis(1);
    private static final long SWEEP_EVERY_MILLIS = TimeUnit.MINUTES.toMillis(1);

    private record SeriesKey(String tenant, Labels labels) {}

    /** The highest value per stack of one series; guarded by its own monitor. */
    private static final class Highest {
        Map<Long, Long> values;
        volatile long lastUsedMs;
    }

    private final ConcurrentHashMap<SeriesKey, Highest> series = new ConcurrentHashMap<>();
    private final LongSupplier clockMs;
    private volatile long lastSweepMs;

    public CumulativeDeltas(LongSupplier clockMs) {
        this.clockMs = clockMs;
        this.lastSweepMs = clockMs.getAsLong();
    }

    /** Whether a sample type of a profile name holds running totals. */
    static boolean isCumulative(String name, String sampleType) {
        return switch (name) {
            case "memory" -> sampleType.equals("alloc_objects") || sampleType.equals("alloc_space");
            case "mutex", "block" -> sampleType.equals("contentions") || sampleType.equals("delay");
            default -> false;
        };
    }

    public int seriesCount() {
        return series.size();
    }

    /**
     * Rewrites the values of a cumulative part of {@code profile} in place into deltas (values
     * of 0 are not stored). Identical stacks are summed first; the delta goes to the first of them.
     */
    void apply(String tenant, DecodedProfile profile, DecodedProfile.Part part) {
        long now = clockMs.getAsLong();
        sweep(now);
        PprofData d = profile.pprof;
        int t = part.sampleType();
        int[] members = part.samples();
        int n = members == null ? d.sampleCount : members.length;
        long[] locationHashes = locationHashes(d, profile.refs);
        long[] keys = new long[n];
        Map<Long, Long> current = new HashMap<>(Math.max(16, n * 2));
        for (int i = 0; i < n; i++) {
            int s = members == null ? i : members[i];
            long key = stackKey(d, profile.refs, locationHashes, s, profile.sampleSpans == null ? 0 : profile.sampleSpans[s]);
            keys[i] = key;
            current.merge(key, d.values[d.sampleValStart[s] + t], Long::sum);
        }
        Highest h = series.computeIfAbsent(new SeriesKey(tenant, part.labels()), k -> new Highest());
        Map<Long, Long> deltas;
        synchronized (h) {
            h.lastUsedMs = now;
            deltas = h.values == null ? null : deltas(h.values, current);
            if (deltas == null) {
                h.values = current;
            } else {
                h.values.putAll(current);
            }
        }
        for (int i = 0; i < n; i++) {
            int s = members == null ? i : members[i];
            Long delta = deltas == null ? null : deltas.remove(keys[i]);
            d.values[d.sampleValStart[s] + t] = delta == null ? 0 : delta;
        }
    }

    /** Per stack, current minus highest; null when there is no base yet or a value went down (a reset). */
    private static Map<Long, Long> deltas(Map<Long, Long> highest, Map<Long, Long> current) {
        Map<Long, Long> out = new HashMap<>(current.size() * 2);
        for (Map.Entry<Long, Long> e : current.entrySet()) {
            long before = highest.getOrDefault(e.getKey(), 0L);
            long now = e.getValue();
            if (now < before) {
                return null;
            }
            out.put(e.getKey(), now - before);
        }
        return out;
    }

    private void sweep(long now) {
        if (now - lastSweepMs < SWEEP_EVERY_MILLIS) {
            return;
        }
        lastSweepMs = now;
        for (Iterator<Highest> it = series.values().iterator(); it.hasNext(); ) {
            if (now - it.next().lastUsedMs > IDLE_MILLIS) {
                it.remove();
            }
        }
    }

    private static long[] locationHashes(PprofData d, PprofRefs refs) {
        long[] out = new long[d.locationCount];
        for (int i = 0; i < d.locationCount; i++) {
            long h = 0x9E3779B97F4A7C15L;
            int lines = d.locLineCount[i];
            if (lines == 0) {
                h = mix(h, d.locAddress[i]);
                long mapping = d.locMappingId[i];
                if (mapping != 0) {
                    int m = refs.mappings.index(mapping);
                    h = mixString(h, d, d.mapBuildId[m]);
                    h = mixString(h, d, d.mapFilename[m]);
                }
            }
            for (int k = 0; k < lines; k++) {
                int li = d.locLineStart[i] + k;
                int fn = refs.functions.index(d.lineFunctionId[li]);
                h = mixString(h, d, d.fnName[fn]);
                h = mixString(h, d, d.fnFilename[fn]);
                h = mix(h, d.lineLine[li]);
            }
            out[i] = h;
        }
        return out;
    }

    private static long stackKey(PprofData d, PprofRefs refs, long[] locationHashes, int sample, long span) {
        long h = mix(0x632BE59BD9B4E019L, span);
        int start = d.sampleLocStart[sample];
        for (int i = start; i < start + d.sampleLocCount[sample]; i++) {
            h = mix(h, locationHashes[refs.locations.index(d.locIds[i])]);
        }
        return h;
    }

    private static long mixString(long h, PprofData d, long index) {
        int i = (int) index;
        int off = d.strOff[i];
        long s = 0xCBF29CE484222325L;
        for (int k = off; k < off + d.strLen[i]; k++) {
            s = (s ^ (d.buf[k] & 0xff)) * 0x100000001B3L;
        }
        return mix(mix(h, d.strLen[i]), s);
    }

    /** Combines a value into a running hash (MurmurHash3's 64-bit finalizer over the sum). */
    private static long mix(long h, long v) {
        long x = h * 31 + v;
        x ^= x >>> 33;
        x *= 0xFF51AFD7ED558CCDL;
        x ^= x >>> 33;
        x *= 0xC4CEB9FE1A85EC53L;
        x ^= x >>> 33;
        return x;
    }
}
