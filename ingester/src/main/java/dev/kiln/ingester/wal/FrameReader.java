package dev.kiln.ingester.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * Reads the frames of one log file in order and stops at the first one that is not intact: after
 * that the file's framing cannot be trusted. {@link #failure()} then says why and {@link #goodEnd()}
 * where the last intact frame ends.
 */
final class FrameReader {
    /** An intact frame: its type, its body and the file offset where it starts. */
    record Frame(byte type, byte[] body, long offset) {}

    private final FileChannel channel;
    private final long size;
    private long position;
    private String failure;

    FrameReader(FileChannel channel) throws IOException {
        this.channel = channel;
        this.size = channel.size();
        byte[] header = new byte[WalFrames.FILE_HEADER.length];
        if (size < header.length) {
            failure = "file shorter than its " + header.length + "-byte header";
        } else if (!readFully(header, 0) || !Arrays.equals(header, WalFrames.FILE_HEADER)) {
            failure = "bad file header";
        } else {
            position = header.length;
        }
    }

    /** The next intact frame, or null at the end of the file or at the first damaged frame. */
    Frame next() throws IOException {
        if (failure != null || position == size) {
            return null;
        }
        long remaining = size - position;
        if (remaining < WalFrames.FRAME_HEADER) {
            return fail("short read: " + remaining + " bytes left, a frame header needs " + WalFrames.FRAME_HEADER);
        }
        byte[] header = new byte[WalFrames.FRAME_HEADER];
        readFully(header, position);
        ByteBuffer h = ByteBuffer.wrap(header);
        long length = h.getInt() & 0xffffffffL;
        byte type = h.get();
        int crc = h.getInt();
        if (length > Integer.MAX_VALUE - WalFrames.FRAME_HEADER) {
            return fail("bad length " + length);
        }
        if (length > remaining - WalFrames.FRAME_HEADER) {
            return fail("short read: frame of " + length + " bytes, " + (remaining - WalFrames.FRAME_HEADER) + " left");
        }
        byte[] body = new byte[(int) length];
        readFully(body, position + WalFrames.FRAME_HEADER);
        if (WalFrames.checksum(header, body, 0, body.length) != crc) {
            return fail("bad CRC");
        }
        Frame f = new Frame(type, body, position);
        position += WalFrames.FRAME_HEADER + length;
        return f;
    }

    /**
     * Marks the current frame as damaged although its checksum matched (its body does not decode):
     * reading stops there as for any other damage.
     */
    void reject(Frame frame, String reason) {
        position = frame.offset();
        failure = reason;
    }

    /** Why reading stopped early, or null when the file ended cleanly. */
    String failure() {
        return failure;
    }

    /** The offset just after the last intact frame (where the file may be truncated). */
    long goodEnd() {
        return position;
    }

    private Frame fail(String reason) {
        failure = reason;
        return null;
    }

    private boolean readFully(byte[] into, long at) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(into);
        while (b.hasRemaining()) {
            if (channel.read(b, at + b.position()) < 0) {
                return false;
            }
        }
        return true;
    }
}
