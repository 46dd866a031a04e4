package dev.kiln.common.model;

import dev.kiln.proto.types.v1.LabelPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable label set sorted by name, without duplicate names. The identity of a series: its
 * {@link #fingerprint()} is stable across processes and versions because it is stored in blocks.
 */
public final class Labels implements Comparable<Labels> {
    public static final Labels EMPTY = new Labels(new String[0], new String[0]);

    private final String[] names;
    private final String[] values;
    private long fingerprint;
    private boolean hashed;

    private Labels(String[] names, String[] values) {
        this.names = names;
        this.values = values;
    }

    public static Labels of(String... nameValues) {
        if (nameValues.length % 2 != 0) {
            throw new IllegalArgumentException("labels need name/value pairs");
        }
        Builder b = builder();
        for (int i = 0; i < nameValues.length; i += 2) {
            b.set(nameValues[i], nameValues[i + 1]);
        }
        return b.build();
    }

    public static Labels fromMap(Map<String, String> map) {
        Builder b = builder();
        map.forEach(b::set);
        return b.build();
    }

    public static Labels fromPairs(Collection<LabelPair> pairs) {
        Builder b = builder();
        for (LabelPair p : pairs) {
            b.set(p.getName(), p.getValue());
        }
        return b.build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        for (int i = 0; i < names.length; i++) {
            b.set(names[i], values[i]);
        }
        return b;
    }

    public int size() {
        return names.length;
    }

    public String name(int i) {
        return names[i];
    }

    public String value(int i) {
        return values[i];
    }

    /** The value of {@code name}, or null when absent. */
    public String get(String name) {
        int i = Arrays.binarySearch(names, name);
        return i >= 0 ? values[i] : null;
    }

    public String getOrEmpty(String name) {
        String v = get(name);
        return v == null ? "" : v;
    }

    public boolean has(String name) {
        return Arrays.binarySearch(names, name) >= 0;
    }

    public List<LabelPair> toPairs() {
        List<LabelPair> out = new ArrayList<>(names.length);
        for (int i = 0; i < names.length; i++) {
            out.add(LabelPair.newBuilder().setName(names[i]).setValue(values[i]).build());
        }
        return out;
    }

    public Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            m.put(names[i], values[i]);
        }
        return m;
    }

    /** Labels restricted to the given names (in any order); absent names are skipped. */
    public Labels keepOnly(Collection<String> keep) {
        Builder b = builder();
        for (String n : keep) {
            String v = get(n);
            if (v != null) {
                b.set(n, v);
            }
        }
        return b.build();
    }

    /**
     * 64-bit FNV-1a over {@code name 0xff value 0xff ...} of the sorted labels. Chosen for being
     * trivially re-implementable and stable; collisions are resolved by comparing labels.
     */
    public long fingerprint() {
        if (!hashed) {
            long h = Fnv1a.OFFSET;
            for (int i = 0; i < names.length; i++) {
                h = Fnv1a.addByte(Fnv1a.addString(h, names[i]), 0xff);
                h = Fnv1a.addByte(Fnv1a.addString(h, values[i]), 0xff);
            }
            fingerprint = h;
            hashed = true;
        }
        return fingerprint;
    }

    @Override
    public int compareTo(Labels o) {
        int n = Math.min(names.length, o.names.length);
        for (int i = 0; i < n; i++) {
            int c = names[i].compareTo(o.names[i]);
            if (c != 0) {
                return c;
            }
            c = values[i].compareTo(o.values[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(names.length, o.names.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Labels l && Arrays.equals(names, l.names) && Arrays.equals(values, l.values);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(fingerprint());
    }

    /** Prometheus-style rendering: {@code {a="x", b="y"}}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < names.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(names[i]).append("=\"");
            escape(sb, values[i]);
            sb.append('"');
        }
        return sb.append('}').toString();
    }

    private static void escape(StringBuilder sb, String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> sb.append(c);
            }
        }
    }

    /** Mutable builder; the last {@link #set} of a name wins. */
    public static final class Builder {
        private final java.util.TreeMap<String, String> map = new java.util.TreeMap<>();

        public Builder set(String name, String value) {
            map.put(Objects.requireNonNull(name, "label name"), Objects.requireNonNull(value, "label value"));
            return this;
        }

        /** Sets the label only when it is not present yet. */
        public Builder setIfAbsent(String name, String value) {
            map.putIfAbsent(name, value);
            return this;
        }

        public Builder remove(String name) {
            map.remove(name);
            return this;
        }

        public String get(String name) {
            return map.get(name);
        }

        public boolean has(String name) {
            return map.containsKey(name);
        }

        public int size() {
            return map.size();
        }

        public Labels build() {
            if (map.isEmpty()) {
                return EMPTY;
            }
            String[] n = new String[map.size()];
            String[] v = new String[map.size()];
            int i = 0;
            for (Map.Entry<String, String> e : map.entrySet()) {
                n[i] = e.getKey();
                v[i++] = e.getValue();
            }
            return new Labels(n, v);
        }
    }
}
