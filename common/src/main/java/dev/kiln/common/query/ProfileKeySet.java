package dev.kiln.common.query;

import dev.kiln.common.InvalidInputException;
import dev.kiln.common.memory.QueryMemoryBudget;
import dev.kiln.common.memory.TrackedSize;
import dev.kiln.common.model.Fnv1a;
import dev.kiln.proto.query.v1.ProfileKeys;
import java.util.Arrays;

/**
 * A set of profile keys (series fingerprint, time in nanoseconds, id hash): what identifies a
 * profile across the replicas that hold it. Keys are kept in insertion order in three dense
 * columns, each numbered by its position, with an open-addressing table over those positions, so a
 * key costs 24 bytes plus 8 of table and the set turns into {@link ProfileKeys} without sorting.
 *
 * <p>Not thread-safe: one writer, or readers of a set no longer written.
 */
public final class ProfileKeySet {
    private long[] series = new long[16];
    private long[] times = new long[16];
    private long[] ids = new long[16];
    private int size;
    /** Per slot, the position of its key + 1; 0 = empty. Power-of-two length, at most half full. */
    private int[] table = new int[32];
    /** The query memory this set counts against, or null. */
    private TrackedSize memory;

    /** The hash a profile id contributes to its key. */
    public static long idHash(String profileId) {
        return Fnv1a.hash(profileId);
    }

    /** A well-mixed hash of a key, for hash tables and for spreading keys over sources. */
    public static long hash(long seriesFingerprint, long timeNanos, long idHash) {
        long h = seriesFingerprint * 0x9e3779b97f4a7c15L ^ timeNanos * 0xc2b2ae3d27d4eb4fL ^ idHash;
        // MurmurHash3's 64-bit finalizer
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return h ^ (h >>> 33);
    }

    /** The keys of a request, checked for columns of equal length. */
    public static ProfileKeySet fromProto(ProfileKeys keys) {
        int n = keys.getSeriesFingerprintCount();
        if (keys.getTimeNanosCount() != n || keys.getIdHashCount() != n) {
            throw new InvalidInputException("profile keys: columns differ in length (series_fingerprint " + n
                    + ", time_nanos " + keys.getTimeNanosCount() + ", id_hash " + keys.getIdHashCount() + ")");
        }
        ProfileKeySet set = new ProfileKeySet();
        for (int i = 0; i < n; i++) {
            set.add(keys.getSeriesFingerprint(i), keys.getTimeNanos(i), keys.getIdHash(i));
        }
        return set;
    }

    /** Counts this set's memory against a query's reservation from now on (growth past the budget throws). */
    public void track(QueryMemoryBudget.Reservation reservation) {
        memory = new TrackedSize(reservation);
        account();
    }

    /** Three long columns and the int table. */
    private void account() {
        if (memory != null) {
            memory.update(series.length * 24L + table.length * 4L);
        }
    }

    public int size() {
        return size;
    }

    public long seriesFingerprint(int position) {
        return series[position];
    }

    public long timeNanos(int position) {
        return times[position];
    }

    public long idHash(int position) {
        return ids[position];
    }

    /** Adds a key if absent; returns its position (equal to the previous {@link #size()} when it is new). */
    public int add(long seriesFingerprint, long timeNanos, long idHash) {
        int mask = table.length - 1;
        for (int slot = (int) hash(seriesFingerprint, timeNanos, idHash) & mask; ; slot = (slot + 1) & mask) {
            int p = table[slot] - 1;
            if (p < 0) {
                break;
            }
            if (series[p] == seriesFingerprint && times[p] == timeNanos && ids[p] == idHash) {
                return p;
            }
        }
        if (size == series.length) {
            series = Arrays.copyOf(series, size * 2);
            times = Arrays.copyOf(times, size * 2);
            ids = Arrays.copyOf(ids, size * 2);
            account();
        }
        int p = size++;
        series[p] = seriesFingerprint;
        times[p] = timeNanos;
        ids[p] = idHash;
        if (size * 2 > table.length) {
            rehash(table.length * 2);
        } else {
            insert(table, p);
        }
        return p;
    }

    /** Adds every key of {@code other}. */
    public void addAll(ProfileKeySet other) {
        for (int i = 0; i < other.size; i++) {
            add(other.series[i], other.times[i], other.ids[i]);
        }
    }

    /** The position of a key, or -1 when it is not in the set. */
    public int indexOf(long seriesFingerprint, long timeNanos, long idHash) {
        int mask = table.length - 1;
        for (int slot = (int) hash(seriesFingerprint, timeNanos, idHash) & mask; ; slot = (slot + 1) & mask) {
            int p = table[slot] - 1;
            if (p < 0) {
                return -1;
            }
            if (series[p] == seriesFingerprint && times[p] == timeNanos && ids[p] == idHash) {
                return p;
            }
        }
    }

    private void rehash(int capacity) {
        int[] next = new int[capacity];
        for (int p = 0; p < size; p++) {
            insert(next, p);
        }
        table = next;
        account();
    }

    private void insert(int[] into, int position) {
        int mask = into.length - 1;
        int slot = (int) hash(series[position], times[position], ids[position]) & mask;
        while (into[slot] != 0) {
            slot = (slot + 1) & mask;
        }
        into[slot] = position + 1;
    }

    /** All keys, in insertion order. */
    public ProfileKeys toProto() {
        ProfileKeys.Builder b = ProfileKeys.newBuilder();
        for (int p = 0; p < size; p++) {
            b.addSeriesFingerprint(series[p]).addTimeNanos(times[p]).addIdHash(ids[p]);
        }
        return b.build();
    }

    /** The keys at {@code positions}, in that order. */
    public ProfileKeys toProto(int[] positions) {
        ProfileKeys.Builder b = ProfileKeys.newBuilder();
        for (int p : positions) {
            b.addSeriesFingerprint(series[p]).addTimeNanos(times[p]).addIdHash(ids[p]);
        }
        return b.build();
    }
}
