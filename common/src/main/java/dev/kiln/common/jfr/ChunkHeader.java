package dev.kiln.common.jfr;

/**
 * The fixed 68-byte header that starts every JFR chunk: magic {@code FLR\0}, major/minor version
 * (u2 each), then big-endian i64 chunk size, constant-pool offset and metadata offset (both
 * relative to the chunk start), start time (epoch ns), duration (ns), start ticks, ticks per
 * second, and a 32-bit flag word whose lowest bit says integers are varint-compressed.
 */
record ChunkHeader(int start, int size, long constantPoolOffset, long metadataOffset, long startNanos,
                   long durationNanos, long startTicks, long ticksPerSecond, boolean compressedIntegers) {
    static final int SIZE = 68;
    private static final int MAGIC = 0x464C5200;
    private static final int COMPRESSED_INTEGERS = 1;

    int end() {
        return start + size;
    }

    static ChunkHeader read(byte[] recording, int start) {
        JfrInput in = new JfrInput(recording, start, recording.length, false);
        if (in.remaining() < SIZE) {
            throw in.invalid("truncated chunk header: " + in.remaining() + " of " + SIZE + " bytes");
        }
        if (in.readFixed(4) != MAGIC) {
            throw in.invalid("missing chunk magic FLR\\0");
        }
        long major = in.readFixed(2);
        in.readFixed(2); // minor
        if (major != 1 && major != 2) {
            throw in.invalid("unsupported JFR format version " + major);
        }
        long size = in.readFixed(8);
        long constantPoolOffset = in.readFixed(8);
        long metadataOffset = in.readFixed(8);
        long startNanos = in.readFixed(8);
        long durationNanos = in.readFixed(8);
        long startTicks = in.readFixed(8);
        long ticksPerSecond = in.readFixed(8);
        long flags = in.readFixed(4);
        int available = recording.length - start;
        if (size < SIZE || size > available) {
            throw in.invalid("chunk at byte " + start + " declares " + size + " bytes but " + available
                    + " remain (truncated recording?)");
        }
        if (metadataOffset < SIZE || metadataOffset >= size) {
            throw in.invalid("chunk at byte " + start + " has metadata offset " + metadataOffset
                    + " outside its " + size + " bytes (unfinished chunk?)");
        }
        if (constantPoolOffset != 0 && (constantPoolOffset < SIZE || constantPoolOffset >= size)) {
            throw in.invalid("chunk at byte " + start + " has constant pool offset " + constantPoolOffset
                    + " outside its " + size + " bytes");
        }
        if (ticksPerSecond <= 0) {
            throw in.invalid("chunk at byte " + start + " has non-positive ticks per second " + ticksPerSecond);
        }
        return new ChunkHeader(start, (int) size, constantPoolOffset, metadataOffset, startNanos, durationNanos,
                startTicks, ticksPerSecond, (flags & COMPRESSED_INTEGERS) != 0);
    }
}
