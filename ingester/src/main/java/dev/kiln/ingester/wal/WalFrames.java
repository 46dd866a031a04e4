package dev.kiln.ingester.wal;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The on-disk format shared by segments and the flushed-blocks log. A file starts with
 * {@link #FILE_HEADER} ("KWAL" and a format version); then frames follow back to back:
 *
 * <pre>
 * u32 body length | u8 record type | u32 CRC32C of (length, type, body) | body
 * </pre>
 *
 * The checksum covers the length too, so a torn or overwritten length is detected rather than
 * followed into garbage. Integers are big-endian.
 */
final class WalFrames {
    static final byte[] FILE_HEADER = {'K', 'W', 'A', 'L', 1};
    static final int FRAME_HEADER = 9;
    /** A push slice: tenant, head block id, window start, payload. Only in segments. */
    static final byte PUSH = 1;
    /** A flushed head block: tenant, block id. Only in the flushed-blocks log. */
    static final byte FLUSHED = 2;

    private WalFrames() {}

    /**
     * A PUSH frame as written: {@code head} holds the frame header and the fields before the
     * payload, which follows unchanged. Kept apart so that a push's payload (a whole profile) is not
     * copied into a frame buffer; the committer writes both with one gathering write.
     */
    record PushFrame(byte[] head, byte[] payload) {
        int length() {
            return head.length + payload.length;
        }
    }

    static PushFrame push(WalRecord r) {
        byte[] tenant = utf8(r.tenant(), 0xffff, "tenant");
        byte[] id = utf8(r.blockId(), 0xff, "block id");
        int fields = 2 + tenant.length + 1 + id.length + 8;
        ByteBuffer b = ByteBuffer.allocate(FRAME_HEADER + fields);
        b.putInt(fields + r.payload().length).put(PUSH).putInt(0);
        b.putShort((short) tenant.length).put(tenant).put((byte) id.length).put(id).putLong(r.windowStartMs());
        byte[] head = b.array();
        CRC32C crc = new CRC32C();
        crc.update(head, 0, 5);
        crc.update(head, FRAME_HEADER, fields);
        crc.update(r.payload());
        ByteBuffer.wrap(head, 5, 4).putInt((int) crc.getValue());
        return new PushFrame(head, r.payload());
    }

    static byte[] flushed(BlockRef ref) {
        byte[] tenant = utf8(ref.tenant(), 0xffff, "tenant");
        byte[] id = utf8(ref.blockId(), 0xff, "block id");
        ByteBuffer b = frame(FLUSHED, 2 + tenant.length + 1 + id.length);
        b.putShort((short) tenant.length).put(tenant).put((byte) id.length).put(id);
        return seal(b);
    }

    /** Decodes a checksummed PUSH body; throws {@link IllegalArgumentException} when malformed. */
    static WalRecord decodePush(byte[] body) {
        try {
            ByteBuffer b = ByteBuffer.wrap(body);
            String tenant = string(b, b.getShort() & 0xffff);
            String id = string(b, b.get() & 0xff);
            long windowStart = b.getLong();
            byte[] payload = new byte[b.remaining()];
            b.get(payload);
            return new WalRecord(tenant, id, windowStart, payload);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("push record body of " + body.length + " bytes is too short for its fields");
        }
    }

    /** Decodes a checksummed FLUSHED body; throws {@link IllegalArgumentException} when malformed. */
    static BlockRef decodeFlushed(byte[] body) {
        try {
            ByteBuffer b = ByteBuffer.wrap(body);
            String tenant = string(b, b.getShort() & 0xffff);
            String id = string(b, b.get() & 0xff);
            if (b.hasRemaining()) {
                throw new IllegalArgumentException("flushed record has " + b.remaining() + " trailing bytes");
            }
            return new BlockRef(tenant, id);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("flushed record body of " + body.length + " bytes is too short for its fields");
        }
    }

    /** CRC32C over a frame's length and type (the first 5 header bytes) and its body. */
    static int checksum(byte[] header, byte[] body, int bodyOffset, int bodyLength) {
        CRC32C crc = new CRC32C();
        crc.update(header, 0, 5);
        crc.update(body, bodyOffset, bodyLength);
        return (int) crc.getValue();
    }

    private static ByteBuffer frame(byte type, int bodyLength) {
        ByteBuffer b = ByteBuffer.allocate(FRAME_HEADER + bodyLength);
        b.putInt(bodyLength).put(type).putInt(0);
        return b;
    }

    private static byte[] seal(ByteBuffer b) {
        byte[] frame = b.array();
        int crc = checksum(frame, frame, FRAME_HEADER, frame.length - FRAME_HEADER);
        ByteBuffer.wrap(frame, 5, 4).putInt(crc);
        return frame;
    }

    private static byte[] utf8(String s, int maxBytes, String what) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length > maxBytes) {
            throw new IllegalArgumentException(what + " must be 1 to " + maxBytes + " bytes of UTF-8, got " + bytes.length);
        }
        return bytes;
    }

    private static String string(ByteBuffer b, int length) {
        if (length == 0) {
            throw new IllegalArgumentException("record holds an empty name");
        }
        if (length > b.remaining()) {
            throw new BufferUnderflowException();
        }
        String s = new String(b.array(), b.position(), length, StandardCharsets.UTF_8);
        b.position(b.position() + length);
        return s;
    }
}
