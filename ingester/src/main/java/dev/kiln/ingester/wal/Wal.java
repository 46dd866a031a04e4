package dev.kiln.ingester.wal;

import com.google.common.util.concurrent.Uninterruptibles;
import dev.kiln.common.ErrorCode;
import dev.kiln.common.KilnException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingester's write-ahead log: push slices are appended here before they are acknowledged and
 * replayed into the head on start.
 *
 * <p>Records go to numbered segment files in one directory; a segment is closed and the next one
 * started when it reaches {@code pyroscopedb.wal.segment_size}. One committer thread owns the
 * active segment: appenders encode and checksum their records, queue them and wait; the committer
 * writes everything queued with one gathering write and, under {@link FsyncPolicy#ALWAYS}, one
 * fsync for the whole batch (group commit), then releases the appenders. No appender ever touches
 * the file, so an interrupted request thread cannot close the channel under the others.
 *
 * <p>Once a head block's data is in an uploaded block, {@link #markFlushed} records that durably in
 * the flushed-blocks log; closed segments whose every record belongs to flushed blocks are deleted,
 * and replay skips records of flushed blocks in segments that are still there.
 *
 * <p>After an I/O error while writing, the log refuses all further appends (the file's state is
 * unknown after a failed write or fsync); a restart replays what is intact.
 */
public final class Wal implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Wal.class);
    /** Queued by {@link #close()} after the last append; tells the committer to finish. */
    private static final Append CLOSE = new Append(List.of(), List.of(), new CompletableFuture<>());

    private final Path dir;
    private final WalConfig config;
    private final FlushedLog flushedLog;

    /** Guards the segment bookkeeping, which the committer extends and {@link #markFlushed} prunes. */
    private final Object stateLock = new Object();
    private final TreeMap<Long, Set<BlockRef>> segmentBlocks = new TreeMap<>();
    private final Set<BlockRef> flushed;
    private long activeSeq;

    private final Object lifecycleLock = new Object();
    private boolean closed;
    private final LinkedBlockingQueue<Append> queue = new LinkedBlockingQueue<>();
    private final Thread committer;

    // Owned by the committer thread (and by open() before the thread starts).
    private FileChannel active;
    private long activeBytes;
    private long lastSyncNanos = System.nanoTime();
    private boolean unsynced;
    private IOException failure;

    /** One append call: its encoded frames, the block of each frame, and the wait for durability. */
    private record Append(List<WalFrames.PushFrame> frames, List<BlockRef> blocks, CompletableFuture<Void> done) {}

    private Wal(Path dir, WalConfig config, FlushedLog flushedLog, Set<BlockRef> flushed) {
        this.dir = dir;
        this.config = config;
        this.flushedLog = flushedLog;
        this.flushed = flushed;
        this.committer = Thread.ofPlatform().name("wal-committer").daemon().unstarted(this::commitLoop);
    }

    /**
     * Opens the log in {@code dir} (created if missing): replays every segment in order, handing
     * each record of a block not yet flushed to {@code replay}, then starts a new segment for appends.
     * A damaged tail of the last segment is truncated after its last intact record; damage in an
     * earlier segment skips the rest of that segment. Both are logged as one warning each, never thrown.
     */
    public static Wal open(Path dir, WalConfig config, Consumer<WalRecord> replay) throws IOException {
        Files.createDirectories(dir);
        FlushedLog flushedLog = new FlushedLog(dir);
        Wal wal = new Wal(dir, config, flushedLog, flushedLog.read());
        TreeMap<Long, Path> segments = Segments.list(dir);
        long[] counts = new long[2];
        for (Map.Entry<Long, Path> s : segments.entrySet()) {
            Set<BlockRef> blocks = new HashSet<>();
            wal.segmentBlocks.put(s.getKey(), blocks);
            wal.replaySegment(s.getValue(), s.getKey().equals(segments.lastKey()), blocks, replay, counts);
        }
        log.atInfo().addKeyValue("dir", dir).addKeyValue("segments", segments.size()).addKeyValue("records", counts[0])
                .addKeyValue("skipped_flushed", counts[1]).log("replayed write-ahead log");
        wal.removeObsoleteSegments();
        wal.openSegment(segments.isEmpty() ? 1 : segments.lastKey() + 1);
        wal.committer.start();
        return wal;
    }

    private void replaySegment(Path file, boolean last, Set<BlockRef> blocks, Consumer<WalRecord> replay, long[] counts)
            throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FrameReader reader = new FrameReader(ch);
            for (FrameReader.Frame f; (f = reader.next()) != null; ) {
                if (f.type() != WalFrames.PUSH) {
                    reader.reject(f, "unexpected record type " + f.type());
                    break;
                }
                WalRecord r;
                try {
                    r = WalFrames.decodePush(f.body());
                } catch (IllegalArgumentException e) {
                    reader.reject(f, e.getMessage());
                    break;
                }
                blocks.add(r.block());
                if (flushed.contains(r.block())) {
                    counts[1]++;
                } else {
                    replay.accept(r);
                    counts[0]++;
                }
            }
            if (reader.failure() == null) {
                return;
            }
            if (last) {
                // A crash mid-write leaves at most the unacknowledged records damaged, and only here.
                ch.truncate(reader.goodEnd());
                ch.force(true);
                log.atWarn().addKeyValue("segment", file.getFileName()).addKeyValue("offset", reader.goodEnd())
                        .addKeyValue("reason", reader.failure()).log("truncated damaged write-ahead log tail");
            } else {
                log.atWarn().addKeyValue("segment", file.getFileName()).addKeyValue("offset", reader.goodEnd())
                        .addKeyValue("reason", reader.failure()).log("skipped the rest of a damaged write-ahead log segment");
            }
        }
    }

    /**
     * Logs records durably under the fsync policy: returns once they are written (and, with
     * {@code always}, fsynced), sharing the write and fsync with concurrent callers. Throws
     * {@link KilnException} ({@code UNAVAILABLE}) when the log is closed or failed.
     */
    public void append(List<WalRecord> records) {
        if (records.isEmpty()) {
            return;
        }
        List<WalFrames.PushFrame> frames = new ArrayList<>(records.size());
        List<BlockRef> blocks = new ArrayList<>(records.size());
        for (WalRecord r : records) {
            frames.add(WalFrames.push(r));
            blocks.add(r.block());
        }
        Append a = new Append(frames, blocks, new CompletableFuture<>());
        synchronized (lifecycleLock) {
            if (closed) {
                throw KilnException.unavailable("write-ahead log is closed");
            }
            queue.add(a);
        }
        try {
            a.done().join();
        } catch (CompletionException e) {
            throw new KilnException(ErrorCode.UNAVAILABLE, "write-ahead log write failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /**
     * Records that a head block's data is now in an uploaded block, so its records are no longer
     * needed, and deletes the closed segments that hold nothing else. The caller guarantees that no
     * further record names this block (the block was detached from the head before it was flushed).
     */
    public void markFlushed(String tenant, String blockId) throws IOException {
        BlockRef ref = new BlockRef(tenant, blockId);
        synchronized (flushedLog) {
            flushedLog.append(ref);
            synchronized (stateLock) {
                flushed.add(ref);
            }
            removeObsoleteSegments();
        }
    }

    /**
     * Deletes closed segments whose every record belongs to a flushed block, then forgets flushed
     * blocks that no remaining segment mentions. Deletions are made durable before the flushed log
     * shrinks, so a crash can never bring back a segment whose blocks replay no longer skips.
     */
    private void removeObsoleteSegments() throws IOException {
        List<Long> obsolete = new ArrayList<>();
        synchronized (stateLock) {
            for (Map.Entry<Long, Set<BlockRef>> s : segmentBlocks.entrySet()) {
                if (s.getKey() != activeSeq && flushed.containsAll(s.getValue())) {
                    obsolete.add(s.getKey());
                }
            }
        }
        if (obsolete.isEmpty()) {
            return;
        }
        for (long seq : obsolete) {
            Path file = Segments.path(dir, seq);
            Files.deleteIfExists(file);
            log.atInfo().addKeyValue("segment", file.getFileName()).log("deleted write-ahead log segment");
        }
        Segments.syncDirectory(dir);
        List<BlockRef> live;
        synchronized (stateLock) {
            obsolete.forEach(segmentBlocks::remove);
            Set<BlockRef> referenced = new HashSet<>();
            segmentBlocks.values().forEach(referenced::addAll);
            flushed.retainAll(referenced);
            live = new ArrayList<>(flushed);
        }
        flushedLog.rewrite(live);
    }

    /** Waits for queued appends, syncs and closes the active segment. Appends after this fail. */
    @Override
    public void close() {
        synchronized (lifecycleLock) {
            if (closed) {
                return;
            }
            closed = true;
            queue.add(CLOSE);
        }
        Uninterruptibles.joinUninterruptibly(committer);
    }

    private void commitLoop() {
        List<Append> batch = new ArrayList<>();
        try {
            while (true) {
                Append first = nextAppend();
                if (first == null) {
                    syncIfDue();
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch);
                // close() queues CLOSE after every accepted append, so it can only come last.
                boolean closing = batch.getLast() == CLOSE;
                if (closing) {
                    batch.removeLast();
                }
                write(batch);
                batch.clear();
                if (closing) {
                    finish();
                    return;
                }
            }
        } catch (RuntimeException | Error e) {
            // Appenders wait for this thread: release them rather than leave pushes hanging.
            log.atError().addKeyValue("dir", dir).addKeyValue("error", e.toString()).log("write-ahead log committer failed");
            synchronized (lifecycleLock) {
                closed = true;
            }
            queue.drainTo(batch);
            batch.forEach(a -> a.done().completeExceptionally(e));
            throw e;
        }
    }

    /** The next queued append; null when an {@code interval} fsync falls due first. */
    private Append nextAppend() {
        try {
            if (unsynced && config.fsync() == FsyncPolicy.INTERVAL) {
                long wait = lastSyncNanos + config.fsyncInterval().toNanos() - System.nanoTime();
                return wait <= 0 ? null : queue.poll(wait, TimeUnit.NANOSECONDS);
            }
            return queue.take();
        } catch (InterruptedException e) {
            // Only close() ends the committer: queued appenders are waiting for it.
            return null;
        }
    }

    private void write(List<Append> batch) {
        if (failure == null) {
            try {
                List<ByteBuffer> run = new ArrayList<>();
                Set<BlockRef> runBlocks = new HashSet<>();
                for (Append a : batch) {
                    for (int i = 0; i < a.frames().size(); i++) {
                        WalFrames.PushFrame frame = a.frames().get(i);
                        if (activeBytes + frame.length() > config.segmentSizeBytes() && activeBytes > WalFrames.FILE_HEADER.length) {
                            writeRun(run, runBlocks);
                            rotate();
                        }
                        run.add(ByteBuffer.wrap(frame.head()));
                        run.add(ByteBuffer.wrap(frame.payload()));
                        runBlocks.add(a.blocks().get(i));
                        activeBytes += frame.length();
                    }
                }
                writeRun(run, runBlocks);
                unsynced = true;
                if (config.fsync() == FsyncPolicy.ALWAYS || syncDue()) {
                    sync();
                }
            } catch (IOException e) {
                fail(e);
            }
        }
        for (Append a : batch) {
            if (failure == null) {
                a.done().complete(null);
            } else {
                a.done().completeExceptionally(failure);
            }
        }
    }

    /** Writes frames bound for the active segment, registering their blocks with it first. */
    private void writeRun(List<ByteBuffer> run, Set<BlockRef> blocks) throws IOException {
        if (run.isEmpty()) {
            return;
        }
        // Registered before the bytes land, so a segment is never deleted for lack of knowing a block it holds.
        synchronized (stateLock) {
            segmentBlocks.get(activeSeq).addAll(blocks);
        }
        ByteBuffer[] buffers = run.toArray(ByteBuffer[]::new);
        long left = 0;
        for (ByteBuffer b : buffers) {
            left += b.remaining();
        }
        while (left > 0) {
            left -= active.write(buffers);
        }
        run.clear();
        blocks.clear();
    }

    private void rotate() throws IOException {
        // Records of the current batch that went to the old segment are acknowledged after the
        // batch's fsync of the new one, so the old segment must be durable first.
        if (config.fsync() != FsyncPolicy.NEVER) {
            active.force(false);
        }
        active.close();
        long next;
        synchronized (stateLock) {
            next = activeSeq + 1;
        }
        openSegment(next);
    }

    private void openSegment(long seq) throws IOException {
        FileChannel ch = FileChannel.open(Segments.path(dir, seq), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        FlushedLog.writeFully(ch, WalFrames.FILE_HEADER);
        if (config.fsync() != FsyncPolicy.NEVER) {
            ch.force(false);
            Segments.syncDirectory(dir);
        }
        synchronized (stateLock) {
            segmentBlocks.put(seq, new HashSet<>());
            activeSeq = seq;
        }
        active = ch;
        activeBytes = WalFrames.FILE_HEADER.length;
    }

    private boolean syncDue() {
        return config.fsync() == FsyncPolicy.INTERVAL && System.nanoTime() - lastSyncNanos >= config.fsyncInterval().toNanos();
    }

    private void syncIfDue() {
        if (failure == null && unsynced && syncDue()) {
            try {
                sync();
            } catch (IOException e) {
                fail(e);
            }
        }
    }

    private void sync() throws IOException {
        active.force(false);
        lastSyncNanos = System.nanoTime();
        unsynced = false;
    }

    private void fail(IOException e) {
        failure = e;
        log.atError().addKeyValue("dir", dir).addKeyValue("error", e.toString())
                .log("write-ahead log write failed; refusing further appends until restart");
    }

    private void finish() {
        try {
            if (failure == null) {
                active.force(false);
            }
            active.close();
        } catch (IOException e) {
            log.atWarn().addKeyValue("dir", dir).addKeyValue("error", e.toString()).log("closing the write-ahead log failed");
        }
    }
}
