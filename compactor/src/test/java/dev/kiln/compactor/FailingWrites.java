package dev.kiln.compactor;

import dev.kiln.common.objstore.ObjectAttributes;
import dev.kiln.common.objstore.ObjectStore;
import dev.kiln.common.objstore.ObjectStoreException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A real store whose writes of objects named {@code failingName} fail, as if the process died at
 * that write: everything written before it is in the bucket, nothing after it.
 */
final class FailingWrites implements ObjectStore {
    private final ObjectStore store;
    private final String failingName;

    FailingWrites(ObjectStore store, String failingName) {
        this.store = store;
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

    @Override
    public byte[] get(String key) {
        return store.get(key);
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        return store.getRange(key, offset, length);
    }

    @Override
    public InputStream open(String key) {
        return store.open(key);
    }

    @Override
    public Optional<ObjectAttributes> stat(String key) {
        return store.stat(key);
    }

    @Override
    public List<String> list(String prefix) {
        return store.list(prefix);
    }

    @Override
    public List<String> listPrefixes(String directory) {
        return store.listPrefixes(directory);
    }

    @Override
    public void delete(String key) {
        store.delete(key);
    }

    @Override
    public void deletePrefix(String directory) {
        store.deletePrefix(directory);
    }

    @Override
    public void close() {
        store.close();
    }
}
