package dev.kiln.common.block;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.SeekableInputStream;

/**
 * A Parquet {@link InputFile} over ranged reads (of an object in an {@link dev.kiln.common.objstore.ObjectStore},
 * or of bytes already in memory). The end of the file (footer and page indexes) is kept in memory once
 * read, so opening readers and consulting column indexes, which Parquet's Thrift decoding does byte by
 * byte, costs no request. Everything else parquet-java reads is whole runs of pages, one request each.
 */
final class BlockInputFile implements InputFile {
    /** Fetches up to {@code length} bytes at {@code offset}; fewer only at the end of the object. */
    @FunctionalInterface
    interface RangeSource {
        byte[] read(long offset, int length) throws IOException;
    }

    private final String name;
    private final long length;
    private final RangeSource source;
    private final byte[] tail;
    private final long tailOffset;

    /**
     * @param name   file name for error messages, e.g. {@code tenant/block/profiles.parquet}
     * @param tail   the last bytes of the file, {@code length - tail.length} onwards (may be empty)
     */
    BlockInputFile(String name, long length, RangeSource source, byte[] tail) {
        this.name = name;
        this.length = length;
        this.source = source;
        this.tail = tail;
        this.tailOffset = length - tail.length;
    }

    /** A file held entirely in memory. */
    static BlockInputFile inMemory(String name, byte[] content) {
        return new BlockInputFile(name, content.length, (off, len) -> {
            throw new IllegalStateException("unreachable: " + name + " is in memory");
        }, content);
    }

    byte[] tail() {
        return tail;
    }

    /** Reads exactly {@code len} bytes at {@code offset}, failing with a message naming the file when it is shorter. */
    byte[] readExactly(long offset, int len) throws IOException {
        if (offset >= tailOffset) {
            byte[] out = new byte[len];
            int from = (int) (offset - tailOffset);
            if (from + len > tail.length) {
                throw truncated(offset, len, tail.length - from);
            }
            System.arraycopy(tail, from, out, 0, len);
            return out;
        }
        if (offset + len > length) {
            throw truncated(offset, len, (int) Math.max(0, length - offset));
        }
        byte[] b = source.read(offset, len);
        if (b.length != len) {
            throw truncated(offset, len, b.length);
        }
        return b;
    }

    private EOFException truncated(long offset, int wanted, int got) {
        return new EOFException(name + ": wanted " + wanted + " bytes at offset " + offset + " but the file ends after "
                + got + " (expected length " + length + "; truncated?)");
    }

    @Override
    public long getLength() {
        return length;
    }

    @Override
    public SeekableInputStream newStream() {
        return new Stream();
    }

    private final class Stream extends SeekableInputStream {
        private long pos;

        @Override
        public long getPos() {
            return pos;
        }

        @Override
        public void seek(long newPos) throws IOException {
            if (newPos < 0 || newPos > length) {
                throw new EOFException(name + ": seek to " + newPos + " outside the file (length " + length + ")");
            }
            pos = newPos;
        }

        @Override
        public int read() throws IOException {
            if (pos >= length) {
                return -1;
            }
            byte[] one = new byte[1];
            copy(one, 0, 1);
            return one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (pos >= length) {
                return -1;
            }
            int n = (int) Math.min(len, length - pos);
            copy(b, off, n);
            return n;
        }

        @Override
        public void readFully(byte[] bytes) throws IOException {
            readFully(bytes, 0, bytes.length);
        }

        @Override
        public void readFully(byte[] bytes, int start, int len) throws IOException {
            if (pos + len > length) {
                throw truncated(pos, len, (int) Math.max(0, length - pos));
            }
            copy(bytes, start, len);
        }

        @Override
        public int read(ByteBuffer buf) throws IOException {
            if (pos >= length) {
                return -1;
            }
            int n = (int) Math.min(buf.remaining(), length - pos);
            byte[] b = new byte[n];
            copy(b, 0, n);
            buf.put(b);
            return n;
        }

        @Override
        public void readFully(ByteBuffer buf) throws IOException {
            byte[] b = new byte[buf.remaining()];
            readFully(b, 0, b.length);
            buf.put(b);
        }

        /** Copies {@code len} bytes at {@link #pos} (all inside the file) and advances. */
        private void copy(byte[] dst, int off, int len) throws IOException {
            if (pos >= tailOffset) {
                System.arraycopy(tail, (int) (pos - tailOffset), dst, off, len);
            } else {
                byte[] b = readExactly(pos, len);
                System.arraycopy(b, 0, dst, off, len);
            }
            pos += len;
        }
    }
}
