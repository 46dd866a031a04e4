package dev.kiln.common.block;

import dev.kiln.common.objstore.ObjectAttributes;
import dev.kiln.common.objstore.ObjectStore;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Records the reads a block makes (whole gets and ranged gets, with bytes), delegating to a real store. */
final class CountingObjectStore implements ObjectStore {
    record Read(String key, long offset, int length) {}

    private final ObjectStore store;
    private final List<Read> reads = new ArrayList<>();

    CountingObjectStore(ObjectStore store) {
        this.store = store;
    }

    /** The reads since the last call, then forgets them. */
    synchronized List<Read> takeReads() {
        List<Read> out = List.copyOf(reads);
        reads.clear();
        return out;
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
        byte[] b = store.get(key);
        synchronized (this) {
            reads.add(new Read(key, 0, b.length));
        }
        return b;
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        byte[] b = store.getRange(key, offset, length);
        synchronized (this) {
            reads.add(new Read(key, offset, b.length));
        }
        return b;
    }

    @Override
    public InputStream open(String key) {
        throw new UnsupportedOperationException("blocks read with get and getRange");
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
