package dev.kiln.common.ring.kv;

import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Calls watch listeners on a store's delivery thread, which one bad listener must not kill. */
final class WatchListeners {

    private static final Logger log = LoggerFactory.getLogger(WatchListeners.class);

    private WatchListeners() {}

    static void deliver(Consumer<Optional<Versioned>> listener, String fullKey, Optional<Versioned> value) {
        try {
            listener.accept(value);
        } catch (RuntimeException e) {
            log.atError().addKeyValue("key", fullKey).setCause(e).log("KV watch listener failed");
        }
    }
}
