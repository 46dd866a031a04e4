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
    public int[] strOff;
    public int[] strLen;

    public int sampleTypeCount;
    public long[] sampleTypeType;
    public long[] sampleTypeUnit;
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
    public int[] sampleLocStart;
    public int[] sampleLocCount;
    public long[] locIds;
    public int locIdsSize;
    /** Per sample: start/count into {@link #values}. */
    public int[] sampleValStart;
    public int[] sampleValCount;
    public long[] values;
    public int valuesSize;
    /** Per sample: start/count into the label columns. */
    public int[] sampleLabelStart;
    public int[] sampleLabelCount;
    public long[] labelKey;
    public long[] labelStr;
    public long[] labelNum;
    public long[] labelNumUnit;
    public int labelSize;

    public int mappingCount;
    public long[] mapId;
    public long[] mapStart;
    public long[] mapLimit;
    public long[] mapOffset;
    public long[] mapFilename;
    public long[] mapBuildId;
    /** Bits: 1 has_functions, 2 has_filenames, 4 has_line_numbers, 8 has_inline_frames. */
    public int[] mapFlags;

    public int locationCount;
    public long[] locId;
    public long[] locMappingId;
    public long[] locAddress;
    public boolean[] locFolded;
    public int[] locLineStart;
    public int[] locLineCount;
    public long[] lineFunctionId;
    public long[] lineLine;
    public int lineSize;

    public int functionCount;
    public long[] fnId;
    public long[] fnName;
    public long[] fnSystemName;
    public long[] fnFilename;
    public long[] fnStartLine;

    /** Columns of the default sizes, which grow as a profile needs. */
    public PprofData() {
        this(null);
    }

    /**
     * Columns sized for a profile of the shape {@code like} (null: the defaults). Sizing a stream's
     * decodes like its previous profile saves growing each column step by step from the defaults,
     * which copied every column several times per profile.
     */
    public PprofData(Shape like) {
        Shape s = like == null ? NO_SHAPE : like;
        int strings = capacity(256, s.strings());
        int samples = capacity(256, s.samples());
        int mappings = capacity(8, s.mappings());
        int locations = capacity(256, s.locations());
        int lines = capacity(256, s.lines());
        int functions = capacity(256, s.functions());
        int labels = capacity(16, s.labels());
        strOff = new int[strings];
        strLen = new int[strings];
        sampleTypeType = new long[4];
        sampleTypeUnit = new long[4];
        sampleLocStart = new int[samples];
        sampleLocCount = new int[samples];
        locIds = new long[capacity(4096, s.locIds())];
        sampleValStart = new int[samples];
        sampleValCount = new int[samples];
        values = new long[capacity(512, s.values())];
        sampleLabelStart = new int[samples];
        sampleLabelCount = new int[samples];
        labelKey = new long[labels];
        labelStr = new long[labels];
        labelNum = new long[labels];
        labelNumUnit = new long[labels];
        mapId = new long[mappings];
        mapStart = new long[mappings];
        mapLimit = new long[mappings];
        mapOffset = new long[mappings];
        mapFilename = new long[mappings];
        mapBuildId = new long[mappings];
        mapFlags = new int[mappings];
        locId = new long[locations];
        locMappingId = new long[locations];
        locAddress = new long[locations];
        locFolded = new boolean[locations];
        locLineStart = new int[locations];
        locLineCount = new int[locations];
        lineFunctionId = new long[lines];
        lineLine = new long[lines];
        fnId = new long[functions];
        fnName = new long[functions];
        fnSystemName = new long[functions];
        fnFilename = new long[functions];
        fnStartLine = new long[functions];
    }

    /** How many entries a decoded profile used in each group of columns. */
    public record Shape(int strings, int samples, int locIds, int values, int labels, int mappings, int locations, int lines,
            int functions) {}

    private static final Shape NO_SHAPE = new Shape(0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** The shape of the profile decoded into this, for sizing the next decode. */
    public Shape shape() {
        return new Shape(stringCount, sampleCount, locIdsSize, valuesSize, labelSize, mappingCount, locationCount, lineSize, functionCount);
    }

    /** Heap bytes of the columns (their capacity, not what the last decode used). */
    public long retainedBytes() {
        long ints = strOff.length + strLen.length + sampleLocStart.length + sampleLocCount.length + sampleValStart.length
                + sampleValCount.length + sampleLabelStart.length + sampleLabelCount.length + mapFlags.length
                + locLineStart.length + locLineCount.length;
        long longs = sampleTypeType.length + sampleTypeUnit.length + locIds.length + values.length + labelKey.length + labelStr.length
                + labelNum.length + labelNumUnit.length + mapId.length + mapStart.length + mapLimit.length + mapOffset.length
                + mapFilename.length + mapBuildId.length + locId.length + locMappingId.length + locAddress.length
                + lineFunctionId.length + lineLine.length + fnId.length + fnName.length + fnSystemName.length + fnFilename.length
                + fnStartLine.length;
        return ints * 4 + longs * 8 + locFolded.length;
    }

    /** The default, or the hinted size with an eighth of headroom: the next profile is often a little larger. */
    private static int capacity(int defaultSize, int hint) {
        return Math.max(defaultSize, hint + (hint >> 3));
    }

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
