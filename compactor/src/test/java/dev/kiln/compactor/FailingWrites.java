package dev.kiln.compactor;

import dev.kiln.common.objstore.ObjectStore;
import dev.kiln.common.objstore.ObjectStoreException;
import dev.kiln.common.testing.ForwardingObjectStore;
import java.nio.file.Path;

/**
 * A real store whose writes of objects named {@code failingName} fail, as if the process died at
 * that write: everything written before it is in the bucket, nothing after it.
 */
final class FailingWrites extends ForwardingObjectStore {
    private final String failingName;

    FailingWrites(ObjectStore store, String failingName) {
        super(store);
        this.failingName = failingName;
    }

    private void check(String key) {
        if (key.endsWith("/" + failingName)) {
            throw new ObjectStoreException("injected failure writing " + key);
        }
    }

    @Override
    public void put(String key, byte[] data) {
        check(key);
        store.put(key, data);
    }

    @Override
    public void upload(String key, Path file) {
        check(key);
        store.upload(key, file);
    }
}
