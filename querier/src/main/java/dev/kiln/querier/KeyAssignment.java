package dev.kiln.querier;

import dev.kiln.common.query.ProfileKeySet;
import dev.kiln.proto.query.v1.ProfileKeys;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Which source aggregates each profile, for replica deduplication. Built from the keys every
 * source reported (phase 1); each key goes to one of the sources that hold it, chosen by the key's
 * hash, which is deterministic and spreads the work evenly over the holders. When a source fails
 * while aggregating (phase 2), its keys move to another live holder.
 */
final class KeyAssignment {
    private final ProfileKeySet keys = new ProfileKeySet();
    /** Holders of key k are {@code holders[holderStart[k] .. holderStart[k+1])}, by source index. */
    private final int[] holderStart;
    private final int[] holders;
    /** Per key, the source assigned to aggregate it; -1 when no live source holds it. */
    private final int[] owner;
    private final int sourceCount;

    /** @param reported the keys each source (by index into the plan) reported */
    KeyAssignment(int sourceCount, Map<Integer, ProfileKeys> reported) {
        this.sourceCount = sourceCount;
        Map<Integer, int[]> positions = new LinkedHashMap<>();
        int pairs = 0;
        for (var e : reported.entrySet()) {
            ProfileKeySet part = ProfileKeySet.fromProto(e.getValue());
            int[] pos = new int[part.size()];
            for (int j = 0; j < pos.length; j++) {
                pos[j] = keys.add(part.seriesFingerprint(j), part.timeNanos(j), part.idHash(j));
            }
            positions.put(e.getKey(), pos);
            pairs += pos.length;
        }
        holderStart = new int[keys.size() + 1];
        for (int[] pos : positions.values()) {
            for (int p : pos) {
                holderStart[p + 1]++;
            }
        }
        for (int k = 0; k < keys.size(); k++) {
            holderStart[k + 1] += holderStart[k];
        }
        holders = new int[pairs];
        int[] fill = new int[keys.size()];
        for (var e : positions.entrySet()) {
            for (int p : e.getValue()) {
                holders[holderStart[p] + fill[p]++] = e.getKey();
            }
        }
        owner = new int[keys.size()];
        for (int k = 0; k < owner.length; k++) {
            owner[k] = pick(k, source -> true);
        }
    }

    int keyCount() {
        return keys.size();
    }

    /** One of the holders of key {@code k} that {@code live} accepts, by the key's hash; -1 if none. */
    private int pick(int k, IntPredicate live) {
        int count = 0;
        for (int h = holderStart[k]; h < holderStart[k + 1]; h++) {
            if (live.test(holders[h])) {
                count++;
            }
        }
        if (count == 0) {
            return -1;
        }
        long hash = ProfileKeySet.hash(keys.seriesFingerprint(k), keys.timeNanos(k), keys.idHash(k));
        int chosen = (int) Long.remainderUnsigned(hash, count);
        for (int h = holderStart[k]; ; h++) {
            if (live.test(holders[h]) && chosen-- == 0) {
                return holders[h];
            }
        }
    }

    /** The keys each source is to aggregate, for the sources that have any. */
    Map<Integer, ProfileKeys> work() {
        return keysOf(source -> true);
    }

    /**
     * Moves the keys of {@code failed} sources to other holders that {@code live} accepts and
     * returns what those now have to aggregate (only the moved keys). Keys that no live source
     * holds stay unassigned; {@link #unassigned()} counts them.
     */
    Map<Integer, ProfileKeys> reassign(List<Integer> failed, IntPredicate live) {
        boolean[] moved = new boolean[owner.length];
        for (int k = 0; k < owner.length; k++) {
            if (owner[k] >= 0 && failed.contains(owner[k])) {
                owner[k] = pick(k, live);
                moved[k] = owner[k] >= 0;
            }
        }
        return keysOf(k -> moved[k]);
    }

    /** How many keys no live source holds (after {@link #reassign}). */
    int unassigned() {
        int n = 0;
        for (int o : owner) {
            if (o < 0) {
                n++;
            }
        }
        return n;
    }

    /** The keys {@code selected} (by key position) grouped by their owner. */
    private Map<Integer, ProfileKeys> keysOf(IntPredicate selected) {
        int[] counts = new int[sourceCount];
        for (int k = 0; k < owner.length; k++) {
            if (owner[k] >= 0 && selected.test(k)) {
                counts[owner[k]]++;
            }
        }
        int[][] bySource = new int[sourceCount][];
        for (int s = 0; s < sourceCount; s++) {
            bySource[s] = new int[counts[s]];
            counts[s] = 0;
        }
        for (int k = 0; k < owner.length; k++) {
            if (owner[k] >= 0 && selected.test(k)) {
                bySource[owner[k]][counts[owner[k]]++] = k;
            }
        }
        Map<Integer, ProfileKeys> out = new LinkedHashMap<>();
        for (int s = 0; s < sourceCount; s++) {
            if (counts[s] > 0) {
                out.put(s, keys.toProto(bySource[s]));
            }
        }
        return out;
    }
}
