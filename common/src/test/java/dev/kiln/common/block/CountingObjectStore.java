package dev.kiln.common.block;

import dev.kiln.common.objstore.ObjectStore;
import dev.kiln.common.testing.ForwardingObjectStore;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/** Records the reads a block makes (whole gets and ranged gets, with bytes), delegating to a real store. */
final class CountingObjectStore extends ForwardingObjectStore {
    record Read(String key, long offset, int length) {}

    private final List<Read> reads = new ArrayList<>();

    CountingObjectStore(ObjectStore store) {
        super(store);
    }

    /** The reads since the last call, then forgets them. */
    synchronized List<Read> takeReads() {
        List<Read> out = List.copyOf(reads);
        reads.clear();
        return out;
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
}
