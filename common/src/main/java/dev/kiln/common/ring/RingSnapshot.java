package dev.kiln.common.ring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An immutable lookup structure over one version of the ring: all tokens in unsigned order with
 * the instance owning each. A new snapshot replaces the old one on every KV change, so lookups
 * never lock.
 */
final class RingSnapshot {

    static final RingSnapshot EMPTY = new RingSnapshot(RingDesc.EMPTY, 0);

    final RingDesc desc;
    /** KV version the ring was read at; 0 when the key is absent. */
    final long version;
    // Tokens with the sign bit flipped: signed order of these is the unsigned order of the tokens.
    private final int[] flippedTokens;
    private final InstanceDesc[] owners;
    private final int instancesWithTokens;
    private final int zonesWithTokens;
    /** Tokens listed by two instances; the instance with the smaller id keeps them. */
    final int conflictingTokens;

    RingSnapshot(RingDesc desc, long version) {
        this.desc = desc;
        this.version = version;
        List<InstanceDesc> members = new ArrayList<>(desc.instances().values());
        int total = members.stream().mapToInt(InstanceDesc::tokenCount).sum();
        // token in the high half, member index (ids are sorted) in the low half: one sort orders
        // by token, then by id, which decides who keeps a conflicting token.
        long[] packed = new long[total];
        int n = 0;
        for (int m = 0; m < members.size(); m++) {
            for (int token : members.get(m).tokens()) {
                packed[n++] = ((long) (token ^ Integer.MIN_VALUE) << 32) | m;
            }
        }
        Arrays.sort(packed);
        int[] tokens = new int[total];
        InstanceDesc[] owning = new InstanceDesc[total];
        int kept = 0;
        for (long entry : packed) {
            int flipped = (int) (entry >> 32);
            if (kept > 0 && tokens[kept - 1] == flipped) {
                continue;
            }
            tokens[kept] = flipped;
            owning[kept] = members.get((int) entry);
            kept++;
        }
        this.conflictingTokens = total - kept;
        this.flippedTokens = Arrays.copyOf(tokens, kept);
        this.owners = Arrays.copyOf(owning, kept);
        Set<String> ids = new HashSet<>();
        Set<String> zones = new HashSet<>();
        for (InstanceDesc owner : owners) {
            ids.add(owner.id());
            zones.add(owner.zone());
        }
        this.instancesWithTokens = ids.size();
        this.zonesWithTokens = zones.size();
    }

    int tokenCount() {
        return flippedTokens.length;
    }

    /** Index of the first token strictly greater than {@code key} (unsigned), wrapping to 0. */
    int firstTokenAfter(int key) {
        int flippedKey = key ^ Integer.MIN_VALUE;
        int low = 0;
        int high = flippedTokens.length;
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (flippedTokens[mid] > flippedKey) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        return low == flippedTokens.length ? 0 : low;
    }

    /**
     * Walks clockwise from {@code key} collecting distinct instances (one per zone when
     * {@code zoneAware}) until {@code replicationFactor} are found, plus one more for every instance
     * whose state {@link Operation#extendsReplicaSet extends} the set. When extending, the zone is
     * not marked as used, so the extra replica is taken from the same zone. No health filtering.
     */
    List<InstanceDesc> walk(int key, Operation op, int replicationFactor, boolean zoneAware) {
        List<InstanceDesc> picked = new ArrayList<>(replicationFactor + 2);
        Set<String> usedZones = new HashSet<>();
        int wanted = replicationFactor;
        int start = firstTokenAfter(key);
        for (int step = 0; step < owners.length; step++) {
            if (picked.size() >= Math.min(instancesWithTokens, wanted) || usedZones.size() >= zonesWithTokens) {
                break;
            }
            InstanceDesc owner = owners[(start + step) % owners.length];
            boolean zoned = zoneAware && !owner.zone().isEmpty();
            if (picked.contains(owner) || (zoned && usedZones.contains(owner.zone()))) {
                continue;
            }
            picked.add(owner);
            if (op.extendsReplicaSet(owner.state())) {
                wanted++;
            } else if (zoned) {
                usedZones.add(owner.zone());
            }
        }
        return picked;
    }

    /**
     * Fraction of the token space each instance owns (token {@code t} owns the range from the
     * previous token up to {@code t}). With zones, each zone is its own ring, as data is
     * replicated once per zone, so the fractions add up to 1 per zone.
     */
    Map<String, Double> ownership(boolean zoneAware) {
        Map<String, List<Integer>> tokenIndexesByZone = new TreeMap<>();
        for (int i = 0; i < owners.length; i++) {
            String zone = zoneAware ? owners[i].zone() : "";
            tokenIndexesByZone.computeIfAbsent(zone, z -> new ArrayList<>()).add(i);
        }
        Map<String, Long> owned = new HashMap<>();
        for (List<Integer> indexes : tokenIndexesByZone.values()) {
            for (int j = 0; j < indexes.size(); j++) {
                int current = indexes.get(j);
                int previous = indexes.get(j == 0 ? indexes.size() - 1 : j - 1);
                long range = Tokens.distance(flippedTokens[previous] ^ Integer.MIN_VALUE,
                        flippedTokens[current] ^ Integer.MIN_VALUE);
                owned.merge(owners[current].id(), range, Long::sum);
            }
        }
        Map<String, Double> fractions = new TreeMap<>();
        for (String id : desc.instances().keySet()) {
            fractions.put(id, owned.getOrDefault(id, 0L) / (double) Tokens.RING_SIZE);
        }
        return fractions;
    }
}
