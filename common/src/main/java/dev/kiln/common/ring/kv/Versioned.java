package dev.kiln.common.ring.kv;

import java.util.Arrays;

/**
 * A value read from a {@link KvStore} together with the version it was written at.
 *
 * <p>Versions are positive and grow with every write to the store (etcd's {@code mod_revision};
 * a store-wide counter in {@link InMemoryKvStore}). Version {@code 0} means "the key is absent" when
 * passed to {@link KvStore#compareAndSet}.
 */
public record Versioned(byte[] value, long version) {

    public Versioned {
        if (value == null) {
            throw new IllegalArgumentException("versioned value must not be null");
        }
        if (version <= 0) {
            throw new IllegalArgumentException("version must be positive, got " + version);
        }
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Versioned other && version == other.version && Arrays.equals(value, other.value);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(value) + Long.hashCode(version);
    }

    @Override
    public String toString() {
        return "Versioned[version=" + version + ", " + value.length + " bytes]";
    }
}
