package dev.kiln.ingester.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable set of flushed head blocks ({@code flushed.log} beside the segments): replay skips
 * their records even when a segment holding them could not be deleted yet. Appended to once per
 * flushed block and rewritten, smaller, when segments are deleted.
 */
final class FlushedLog {
    private static final Logger log = LoggerFactory.getLogger(FlushedLog.class);
    static final String FILE_NAME = "flushed.log";

    private final Path file;

    FlushedLog(Path dir) {
        this.file = dir.resolve(FILE_NAME);
    }

    /** Reads the set; a damaged tail (a crash mid-append) is cut off with a warning. */
    Set<BlockRef> read() throws IOException {
        Set<BlockRef> out = new HashSet<>();
        if (!Files.exists(file)) {
            return out;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FrameReader reader = new FrameReader(ch);
            for (FrameReader.Frame f; (f = reader.next()) != null; ) {
                if (f.type() != WalFrames.FLUSHED) {
                    reader.reject(f, "unexpected record type " + f.type());
                    break;
                }
                try {
                    out.add(WalFrames.decodeFlushed(f.body()));
                } catch (IllegalArgumentException e) {
                    reader.reject(f, e.getMessage());
                    break;
                }
            }
            if (reader.failure() != null) {
                log.atWarn().addKeyValue("file", file.getFileName()).addKeyValue("offset", reader.goodEnd())
                        .addKeyValue("reason", reader.failure()).log("truncated damaged flushed-blocks log tail");
                ch.truncate(reader.goodEnd());
                ch.force(true);
            }
        }
        return out;
    }

    /** Durably adds one block. */
    void append(BlockRef ref) throws IOException {
        boolean created = !Files.exists(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            if (ch.size() == 0) {
                writeFully(ch, WalFrames.FILE_HEADER);
            }
            writeFully(ch, WalFrames.flushed(ref));
            ch.force(false);
        }
        if (created) {
            Segments.syncDirectory(file.getParent());
        }
    }

    /** Atomically replaces the log with exactly these blocks. */
    void rewrite(Collection<BlockRef> refs) throws IOException {
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, WalFrames.FILE_HEADER);
            for (BlockRef ref : refs) {
                writeFully(ch, WalFrames.flushed(ref));
            }
            ch.force(false);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Segments.syncDirectory(file.getParent());
    }

    static void writeFully(FileChannel ch, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
