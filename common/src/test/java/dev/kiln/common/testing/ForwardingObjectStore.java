package dev.kiln.common.testing;

import dev.kiln.common.objstore.ObjectAttributes;
import dev.kiln.common.objstore.ObjectStore;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** A real store behind a test's wrapper: every call goes to {@code store} unless a subclass overrides it. */
public abstract class ForwardingObjectStore implements ObjectStore {
    protected final ObjectStore store;

    protected ForwardingObjectStore(ObjectStore store) {
        this.store = store;
    }

    @Override
    public void put(String key, byte[] data) {
        store.put(key, data);
    }

    @Override
    public void upload(String key, Path file) {
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
