package dev.kiln.common.ring.kv;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A small, strongly consistent key-value store holding the ring state, modelled on dskit's
 * {@code kv.Client}: read with version, compare-and-swap, watch, delete.
 *
 * <p>Every implementation is constructed with a key prefix ({@code ring.kvstore.prefix}); the keys
 * passed to these methods are relative to it, so {@code get("ring")} with prefix {@code collectors/}
 * reads {@code collectors/ring} in both the in-memory store and etcd.
 */
public interface KvStore extends AutoCloseable {

    /**
     * How many times {@link #update} re-reads and retries after losing a compare-and-swap race
     * before giving up. Ring writers are few (one per instance, every few seconds), so losing ten
     * races in a row means something is writing in a loop.
     */
    int MAX_CAS_ATTEMPTS = 10;

    /** The current value and its version, or empty if the key does not exist. */
    Optional<Versioned> get(String key);

    /**
     * Writes {@code value} only if the key is still at {@code expectedVersion} ({@code 0}: only if
     * the key is absent).
     *
     * @return the version of the new value, or empty if the key had moved on
     */
    OptionalLong compareAndSet(String key, long expectedVersion, byte[] value);

    /** Removes the key; removing an absent key is not an error. */
    void delete(String key);

    /**
     * Calls {@code listener} with the key's current value and then with every later value, in
     * version order, on a thread owned by the store. An empty value means the key was deleted or
     * never existed. Listeners must not block for long: they delay other watches of the store.
     *
     * @return a handle that stops the watch when closed
     */
    Watch watch(String key, Consumer<Optional<Versioned>> listener);

    /**
     * Read-modify-write with optimistic concurrency: applies {@code change} to the current value
     * ({@code null} when absent) and writes the result if nobody wrote in between, re-reading and
     * re-applying otherwise. {@code change} may therefore run several times and must not have side
     * effects. Returning {@code null} or the unchanged array leaves the key as it is.
     *
     * @return the value that is stored when this returns (empty if the key is absent)
     * @throws KvStoreException after {@link #MAX_CAS_ATTEMPTS} lost races, or if the store fails
     */
    default Optional<Versioned> update(String key, UnaryOperator<byte[]> change) {
        for (int attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
            Optional<Versioned> current = get(key);
            byte[] currentValue = current.map(Versioned::value).orElse(null);
            byte[] next = change.apply(currentValue);
            if (next == null || next == currentValue) {
                return current;
            }
            OptionalLong written = compareAndSet(key, current.map(Versioned::version).orElse(0L), next);
            if (written.isPresent()) {
                return Optional.of(new Versioned(next, written.getAsLong()));
            }
        }
        throw new KvStoreException("gave up updating key " + key + " after " + MAX_CAS_ATTEMPTS
                + " compare-and-swap attempts lost to concurrent writers");
    }

    /** Stops all watches and releases connections and threads. */
    @Override
    void close();

    /** A running watch. */
    interface Watch extends AutoCloseable {
        /** Stops delivering values; idempotent. */
        @Override
        void close();
    }
}
