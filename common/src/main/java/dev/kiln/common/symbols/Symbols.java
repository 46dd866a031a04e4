package dev.kiln.common.symbols;

/**
 * A read-only view of a symbol table: strings, mappings, functions, locations and the stack-trace
 * tree, all as columns indexed by id. Index 0 of every table is a placeholder ("" string, empty
 * mapping/function/location, and the stack tree's root), so 0 can mean "none".
 *
 * <p>Stack traces are stored once as a parent-pointer tree of locations: a stack trace id is the
 * id of its leaf-most node, and {@code stackParent[n] < n} for every node, so walking ids in
 * descending order visits children before parents.
 *
 * <p>Views are immutable snapshots: arrays may be longer than the counts, and the writer keeps
 * appending past the counts without disturbing readers of an older view.
 */
public final class Symbols {
    public final String[] strings;
    public final int stringCount;

    public final long[] mapStart;
    public final long[] mapLimit;
    public final long[] mapOffset;
    public final int[] mapFilename;
    public final int[] mapBuildId;
    public final int[] mapFlags;
    public final int mappingCount;

    public final int[] fnName;
    public final int[] fnSystemName;
    public final int[] fnFilename;
    public final int[] fnStartLine;
    public final int functionCount;

    public final int[] locMapping;
    public final long[] locAddress;
    public final int[] locLineStart;
    public final int[] locLineCount;
    public final int locationCount;
    /** Lines of all locations; a location's lines run innermost (inlined) first, as in pprof. */
    public final int[] lineFunction;
    public final int[] lineNumber;
    public final int lineCount;

    public final int[] stackParent;
    public final int[] stackLocation;
    public final int stackNodeCount;

    /** Memory these symbols hold, about: every array, and each string's object and bytes. */
    public long estimatedBytes() {
        long bytes = 16L * 8 + 8L * strings.length;
        for (int i = 0; i < stringCount; i++) {
            bytes += strings[i] == null ? 0 : 40 + strings[i].length();
        }
        bytes += 8L * (mapStart.length + mapLimit.length + mapOffset.length + locAddress.length);
        bytes += 4L * (mapFilename.length + mapBuildId.length + mapFlags.length + fnName.length + fnSystemName.length
                + fnFilename.length + fnStartLine.length + locMapping.length + locLineStart.length + locLineCount.length
                + lineFunction.length + lineNumber.length + stackParent.length + stackLocation.length);
        return bytes;
    }

    public Symbols(String[] strings, int stringCount,
            long[] mapStart, long[] mapLimit, long[] mapOffset, int[] mapFilename, int[] mapBuildId, int[] mapFlags, int mappingCount,
            int[] fnName, int[] fnSystemName, int[] fnFilename, int[] fnStartLine, int functionCount,
            int[] locMapping, long[] locAddress, int[] locLineStart, int[] locLineCount, int locationCount,
            int[] lineFunction, int[] lineNumber, int lineCount,
            int[] stackParent, int[] stackLocation, int stackNodeCount) {
        this.strings = strings;
        this.stringCount = stringCount;
        this.mapStart = mapStart;
        this.mapLimit = mapLimit;
        this.mapOffset = mapOffset;
        this.mapFilename = mapFilename;
        this.mapBuildId = mapBuildId;
        this.mapFlags = mapFlags;
        this.mappingCount = mappingCount;
        this.fnName = fnName;
        this.fnSystemName = fnSystemName;
        this.fnFilename = fnFilename;
        this.fnStartLine = fnStartLine;
        this.functionCount = functionCount;
        this.locMapping = locMapping;
        this.locAddress = locAddress;
        this.locLineStart = locLineStart;
        this.locLineCount = locLineCount;
        this.locationCount = locationCount;
        this.lineFunction = lineFunction;
        this.lineNumber = lineNumber;
        this.lineCount = lineCount;
        this.stackParent = stackParent;
        this.stackLocation = stackLocation;
        this.stackNodeCount = stackNodeCount;
    }

    public String functionName(int fn) {
        return strings[fnName[fn]];
    }

    /** Depth of stack node {@code n} (the root has depth 0). */
    public int depth(int n) {
        int d = 0;
        while (n != 0) {
            n = stackParent[n];
            d++;
        }
        return d;
    }

    /**
     * A readable name for a location with no line information (unsymbolized native frame):
     * the mapping's file name and the address, as pprof tools show them.
     */
    public String unsymbolizedName(int loc) {
        String file = strings[mapFilename[locMapping[loc]]];
        String base = file.isEmpty() ? "" : file.substring(file.lastIndexOf('/') + 1) + " ";
        return base + "0x" + Long.toHexString(locAddress[loc]);
    }
}
