package dev.kiln.common.pprof;

import com.google.protobuf.ByteString;
import dev.kiln.common.io.Gzip;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The buffers one pprof decode fills, the decompressed bytes and the decoded columns, reused from
 * push to push. Fresh ones (about 0.35 MB of bytes plus the columns per pushed profile in the
 * benchmark) are zeroed by the JVM and then read by the decoder from memory that is no longer in
 * the CPU caches; reused ones are not (gunzip + decode 1.33 -> 1.10 ms per profile there).
 *
 * <p>{@link #take} one, {@link #decode} into it, and {@link #release} it once nothing reads the
 * decoded {@link PprofData} any more (its strings point into the buffer). Idle buffers are kept in
 * a small pool; buffers grown by an unusually large profile are dropped rather than kept.
 */
public final class DecodeBuffers {
    /** Past this many bytes (payload copy, decompressed bytes and columns) a buffer set is not kept for reuse. */
    static final long MAX_KEPT_BYTES = 16L << 20;
    private static final int MAX_IDLE = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    private static final ConcurrentLinkedQueue<DecodeBuffers> IDLE = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger IDLE_COUNT = new AtomicInteger();

    private final PprofDecoder decoder = new PprofDecoder();
    private final PprofData data;
    /** A payload copied out of its request message ({@link #decode(ByteString, long, String)}). */
    private byte[] input = new byte[0];
    /** Decompressed bytes. */
    private byte[] bytes = new byte[0];
    private int length;
    /** Between {@link #take} and {@link #release}. */
    private boolean taken = true;

    private DecodeBuffers(PprofData.Shape sizeHint) {
        data = new PprofData(sizeHint);
    }

    /** Idle buffers, or new ones with columns sized for a profile of {@code sizeHint} (null: defaults). */
    public static DecodeBuffers take(PprofData.Shape sizeHint) {
        DecodeBuffers b = IDLE.poll();
        if (b == null) {
            return new DecodeBuffers(sizeHint);
        }
        IDLE_COUNT.decrementAndGet();
        b.taken = true;
        return b;
    }

    /**
     * Decompresses {@code payload} when it is gzip (bounded by {@code maxBytes}, see
     * {@link Gzip#decompress}) and decodes it into this set's columns.
     */
    public PprofData decode(byte[] payload, long maxBytes, String limitKey) {
        return decode(payload, 0, payload.length, maxBytes, limitKey);
    }

    /** The same for a payload still in its request message, copied into a reused buffer first. */
    public PprofData decode(ByteString payload, long maxBytes, String limitKey) {
        int n = payload.size();
        if (input.length < n) {
            input = new byte[n + (n >> 3)];
        }
        payload.copyTo(input, 0);
        return decode(input, 0, n, maxBytes, limitKey);
    }

    private PprofData decode(byte[] payload, int off, int len, long maxBytes, String limitKey) {
        if (Gzip.isGzip(payload, off, len)) {
            Gzip.Inflated inflated = Gzip.decompress(payload, off, len, maxBytes, "profile", limitKey, bytes);
            if (inflated.bytes().length <= MAX_KEPT_BYTES) {
                bytes = inflated.bytes();
            }
            length = inflated.length();
            return decoder.decode(inflated.bytes(), 0, length, data);
        }
        Gzip.requireAtMost(len, maxBytes, "profile", limitKey);
        length = len;
        return decoder.decode(payload, off, len, data);
    }

    /** Decompressed size of the last {@link #decode}. */
    public int decodedBytes() {
        return length;
    }

    /** Gives the buffers back; neither they nor the {@link PprofData} they decoded may be used afterwards. */
    public void release() {
        if (!taken) {
            throw new IllegalStateException("decode buffers released twice");
        }
        taken = false;
        data.buf = null; // a plain (not gzip) payload is not the pool's to keep
        if ((long) input.length + bytes.length + data.retainedBytes() > MAX_KEPT_BYTES) {
            return;
        }
        if (IDLE_COUNT.incrementAndGet() > MAX_IDLE) {
            IDLE_COUNT.decrementAndGet();
            return;
        }
        IDLE.offer(this);
    }
}
