package dev.kiln.common.pprof;

import java.nio.charset.StandardCharsets;

/**
 * A decoded pprof profile in columnar form: primitive arrays indexed by position, strings kept as
 * (offset, length) slices of the decoded buffer. Produced by {@link PprofDecoder} without building
 * protobuf message objects; consumers resolve references (string indexes, pprof ids) themselves.
 * Fields are public and mutable on purpose: this is a decode buffer on the hot ingest path.
 */
public final class PprofData {
    public byte[] buf;

    public int stringCount;
    public int[] strOff = new int[256];
    public int[] strLen = new int[256];

    public int sampleTypeCount;
    public long[] sampleTypeType = new long[4];
    public long[] sampleTypeUnit = new long[4];
    public long periodTypeType;
    public long periodTypeUnit;
    public long period;
    public long timeNanos;
    public long durationNanos;
    public long defaultSampleType;
    public long dropFrames;
    public long keepFrames;

    public int sampleCount;
    /** Per sample: start/count into {@link #locIds} (leaf first). */
    public int[] sampleLocStart = new int[256];
    public int[] sampleLocCount = new int[256];
    public long[] locIds = new long[4096];
    public int locIdsSize;
    /** Per sample: start/count into {@link #values}. */
    public int[] sampleValStart = new int[256];
    public int[] sampleValCount = new int[256];
    public long[] values = new long[512];
    public int valuesSize;
    /** Per sample: start/count into the label columns. */
    public int[] sampleLabelStart = new int[256];
    public int[] sampleLabelCount = new int[256];
    public long[] labelKey = new long[16];
    public long[] labelStr = new long[16];
    public long[] labelNum = new long[16];
    public long[] labelNumUnit = new long[16];
    public int labelSize;

    public int mappingCount;
    public long[] mapId = new long[8];
    public long[] mapStart = new long[8];
    public long[] mapLimit = new long[8];
    public long[] mapOffset = new long[8];
    public long[] mapFilename = new long[8];
    public long[] mapBuildId = new long[8];
    /** Bits: 1 has_functions, 2 has_filenames, 4 has_line_numbers, 8 has_inline_frames. */
    public int[] mapFlags = new int[8];

    public int locationCount;
    public long[] locId = new long[256];
    public long[] locMappingId = new long[256];
    public long[] locAddress = new long[256];
    public boolean[] locFolded = new boolean[256];
    public int[] locLineStart = new int[256];
    public int[] locLineCount = new int[256];
    public long[] lineFunctionId = new long[256];
    public long[] lineLine = new long[256];
    public int lineSize;

    public int functionCount;
    public long[] fnId = new long[256];
    public long[] fnName = new long[256];
    public long[] fnSystemName = new long[256];
    public long[] fnFilename = new long[256];
    public long[] fnStartLine = new long[256];

    /** Decodes string {@code i}; callers on hot paths compare bytes instead. */
    public String string(long i) {
        if (i < 0 || i >= stringCount) {
            throw new IndexOutOfBoundsException("string index " + i);
        }
        int idx = (int) i;
        return new String(buf, strOff[idx], strLen[idx], StandardCharsets.UTF_8);
    }

    /** True when string {@code i} equals the ASCII literal {@code s}, without decoding. */
    public boolean stringEquals(long i, String s) {
        int idx = (int) i;
        int len = strLen[idx];
        if (len != s.length()) {
            return false;
        }
        int off = strOff[idx];
        for (int k = 0; k < len; k++) {
            if (buf[off + k] != (byte) s.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    public long value(int sample, int type) {
        return values[sampleValStart[sample] + type];
    }
}
