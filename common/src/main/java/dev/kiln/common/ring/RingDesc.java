package dev.kiln.common.ring;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/** The whole ring as stored under one KV key: every instance by id (sorted by id). */
public record RingDesc(SortedMap<String, InstanceDesc> instances) {

    public static final RingDesc EMPTY = new RingDesc(new TreeMap<>());

    public RingDesc {
        TreeMap<String, InstanceDesc> copy = new TreeMap<>();
        for (Map.Entry<String, InstanceDesc> entry : instances.entrySet()) {
            if (!entry.getKey().equals(entry.getValue().id())) {
                throw new IllegalArgumentException("ring entry '" + entry.getKey() + "' holds instance '"
                        + entry.getValue().id() + "'");
            }
            copy.put(entry.getKey(), entry.getValue());
        }
        instances = Collections.unmodifiableSortedMap(copy);
    }

    public static RingDesc of(InstanceDesc... members) {
        RingDesc desc = EMPTY;
        for (InstanceDesc member : members) {
            desc = desc.with(member);
        }
        return desc;
    }

    public Optional<InstanceDesc> instance(String id) {
        return Optional.ofNullable(instances.get(id));
    }

    /** This ring with {@code member} added or replaced. */
    public RingDesc with(InstanceDesc member) {
        TreeMap<String, InstanceDesc> copy = new TreeMap<>(instances);
        copy.put(member.id(), member);
        return new RingDesc(copy);
    }

    /** This ring without the instance {@code id} (unchanged if absent). */
    public RingDesc without(String id) {
        TreeMap<String, InstanceDesc> copy = new TreeMap<>(instances);
        copy.remove(id);
        return new RingDesc(copy);
    }

    /** Every token owned by an instance other than {@code id}, unsorted. */
    public int[] tokensOwnedByOthers(String id) {
        return instances.values().stream()
                .filter(instance -> !instance.id().equals(id))
                .flatMapToInt(instance -> Arrays.stream(instance.tokens()))
                .toArray();
    }
}
