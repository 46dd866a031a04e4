package dev.kiln.common.symbols;

import dev.kiln.common.pprof.PprofData;
import dev.kiln.common.pprof.PprofRefs;
import java.util.Arrays;

/**
 * A growing symbol table with one writer and any number of lock-free readers: the writer interns
 * symbols and stack traces, then {@link #publish()}es an immutable {@link Symbols} view that
 * readers pick up with {@link #view()}.
 */
public final class SymbolTable {
    private final StringInterner strings = new StringInterner();
    private final LongTupleInterner mappings = new LongTupleInterner();
    private final LongTupleInterner functions = new LongTupleInterner();
    private final LongTupleInterner locations = new LongTupleInterner();
    private final StackNodeMap stackNodes = new StackNodeMap(4096);
    /**
     * Whole stack traces seen by {@link #importProfile}: a hash of the location sequence to its
     * {@link #stackPaths} entry. Services send the same stacks profile after profile, so one
     * lookup plus a comparison with the stored path replaces a hash lookup per frame. Verified on
     * every hit, so a hash collision only costs the per-frame walk.
     */
    private final LongIntHashMap stacksByHash = new LongIntHashMap(1024);
    /**
     * The stacks {@link #stacksByHash} points to, as entries in {@link #stackPaths}: the stack's
     * leaf node, then its depth and location ids leaf first, so verifying a hit reads a few
     * contiguous cache lines instead of walking the parent chain through the node arrays. Capped
     * at {@link #STACK_PATH_INTS_PER_NODE} ints per stack node (at most about as much memory again
     * as the nodes): past it, new stacks are not cached and are found frame by frame.
     */
    private int[] stackPaths = new int[4096];
    private int stackPathsSize;
    private static final int STACK_PATH_INTS_PER_NODE = 8;

    private long[] mapStart = new long[16];
    private long[] mapLimit = new long[16];
    private long[] mapOffset = new long[16];
    private int[] mapFilename = new int[16];
    private int[] mapBuildId = new int[16];
    private int[] mapFlags = new int[16];

    private int[] fnName = new int[256];
    private int[] fnSystemName = new int[256];
    private int[] fnFilename = new int[256];
    private int[] fnStartLine = new int[256];

    private int[] locMapping = new int[256];
    private long[] locAddress = new long[256];
    private int[] locLineStart = new int[256];
    private int[] locLineCount = new int[256];
    private int[] lineFunction = new int[256];
    private int[] lineNumber = new int[256];
    private int lineCount;

    /**
     * Per string id, the last function interned with that name, plus one (0: none). A function is
     * nearly always determined by its name, and every profile names the same functions again, so
     * this array replaces a hash probe with a check of the other fields. Likewise per function id,
     * the last location with that one function and no inlined frames.
     */
    private int[] functionByName = new int[256];
    private int[] locationByFunction = new int[256];

    private int[] stackParent = new int[4096];
    private int[] stackLocation = new int[4096];
    private int stackNodeCount = 1; // node 0: root

    private final long[] tuple = new long[64];
    private long[] lineTuple = new long[64];
    private volatile Symbols view;

    public SymbolTable() {
        internMapping(0, 0, 0, 0, 0, 0);
        internFunction(0, 0, 0, 0);
        internLocation(0, 0, new int[0], new int[0], 0);
        publish();
    }

    public Symbols view() {
        return view;
    }

    /** Makes everything interned so far visible to readers. */
    public Symbols publish() {
        Symbols v = new Symbols(strings.strings(), strings.size(),
                mapStart, mapLimit, mapOffset, mapFilename, mapBuildId, mapFlags, mappings.size(),
                fnName, fnSystemName, fnFilename, fnStartLine, functions.size(),
                locMapping, locAddress, locLineStart, locLineCount, locations.size(),
                lineFunction, lineNumber, lineCount,
                stackParent, stackLocation, stackNodeCount);
        view = v;
        return v;
    }

    public int internString(String s) {
        return strings.intern(s);
    }

    public int internString(byte[] b, int off, int len) {
        return strings.intern(b, off, len);
    }

    public int internMapping(long start, long limit, long offset, int filename, int buildId, int flags) {
        long[] t = tuple;
        t[0] = start;
        t[1] = limit;
        t[2] = offset;
        t[3] = filename;
        t[4] = buildId;
        t[5] = flags;
        int before = mappings.size();
        int id = mappings.intern(t, 6);
        if (id == before) {
            if (id == mapStart.length) {
                int n = id * 2;
                mapStart = Arrays.copyOf(mapStart, n);
                mapLimit = Arrays.copyOf(mapLimit, n);
                mapOffset = Arrays.copyOf(mapOffset, n);
                mapFilename = Arrays.copyOf(mapFilename, n);
                mapBuildId = Arrays.copyOf(mapBuildId, n);
                mapFlags = Arrays.copyOf(mapFlags, n);
            }
            mapStart[id] = start;
            mapLimit[id] = limit;
            mapOffset[id] = offset;
            mapFilename[id] = filename;
            mapBuildId[id] = buildId;
            mapFlags[id] = flags;
        }
        return id;
    }

    public int internFunction(int name, int systemName, int filename, int startLine) {
        if (name < functionByName.length) {
            int known = functionByName[name] - 1;
            if (known >= 0 && fnSystemName[known] == systemName && fnFilename[known] == filename && fnStartLine[known] == startLine) {
                return known;
            }
        }
        long[] t = tuple;
        t[0] = name;
        t[1] = systemName;
        t[2] = filename;
        t[3] = startLine;
        int before = functions.size();
        int id = functions.intern(t, 4);
        if (id == before) {
            if (id == fnName.length) {
                int n = id * 2;
                fnName = Arrays.copyOf(fnName, n);
                fnSystemName = Arrays.copyOf(fnSystemName, n);
                fnFilename = Arrays.copyOf(fnFilename, n);
                fnStartLine = Arrays.copyOf(fnStartLine, n);
            }
            fnName[id] = name;
            fnSystemName[id] = systemName;
            fnFilename[id] = filename;
            fnStartLine[id] = startLine;
        }
        if (name >= functionByName.length) {
            functionByName = Arrays.copyOf(functionByName, Math.max(name + 1, functionByName.length * 2));
        }
        functionByName[name] = id + 1;
        return id;
    }

    /** Interns a location; {@code fns/lines[0..n)} run innermost first, as in pprof. */
    public int internLocation(int mapping, long address, int[] fns, int[] lines, int n) {
        if (n == 1 && fns[0] < locationByFunction.length) {
            int known = locationByFunction[fns[0]] - 1;
            if (known >= 0 && locMapping[known] == mapping && locAddress[known] == address && lineNumber[locLineStart[known]] == lines[0]) {
                return known;
            }
        }
        int len = 2 + 2 * n;
        if (lineTuple.length < len) {
            lineTuple = new long[len * 2];
        }
        long[] t = lineTuple;
        t[0] = mapping;
        t[1] = address;
        for (int i = 0; i < n; i++) {
            t[2 + 2 * i] = fns[i];
            t[3 + 2 * i] = lines[i];
        }
        int before = locations.size();
        int id = locations.intern(t, len);
        if (id == before) {
            if (id == locMapping.length) {
                int cap = id * 2;
                locMapping = Arrays.copyOf(locMapping, cap);
                locAddress = Arrays.copyOf(locAddress, cap);
                locLineStart = Arrays.copyOf(locLineStart, cap);
                locLineCount = Arrays.copyOf(locLineCount, cap);
            }
            if (lineCount + n > lineFunction.length) {
                int cap = Math.max(lineFunction.length * 2, lineCount + n);
                lineFunction = Arrays.copyOf(lineFunction, cap);
                lineNumber = Arrays.copyOf(lineNumber, cap);
            }
            locMapping[id] = mapping;
            locAddress[id] = address;
            locLineStart[id] = lineCount;
            locLineCount[id] = n;
            System.arraycopy(fns, 0, lineFunction, lineCount, n);
            System.arraycopy(lines, 0, lineNumber, lineCount, n);
            lineCount += n;
        }
        if (n == 1) {
            if (fns[0] >= locationByFunction.length) {
                locationByFunction = Arrays.copyOf(locationByFunction, Math.max(fns[0] + 1, locationByFunction.length * 2));
            }
            locationByFunction[fns[0]] = id + 1;
        }
        return id;
    }

    /** Returns the stack node for {@code location} under {@code parent}, creating it when new. */
    public int internStackNode(int parent, int location) {
        int id = stackNodes.get(parent, location);
        return id >= 0 ? id : addStackNode(parent, location);
    }

    /** Creates the node for {@code location} under {@code parent}, which has no such child yet. */
    private int addStackNode(int parent, int location) {
        int id = stackNodeCount++;
        if (id == stackParent.length) {
            stackParent = Arrays.copyOf(stackParent, id * 2);
            stackLocation = Arrays.copyOf(stackLocation, id * 2);
        }
        stackParent[id] = parent;
        stackLocation[id] = location;
        stackNodes.add(parent, location, id);
        return id;
    }

    public int stackNodeCount() {
        return stackNodeCount;
    }

    /** Heap bytes held, for head-size accounting. */
    public long sizeBytes() {
        return strings.sizeBytes() + mappings.sizeBytes() + functions.sizeBytes() + locations.sizeBytes()
                + stackNodes.sizeBytes() + stacksByHash.sizeBytes() + stackPaths.length * 4L + stackParent.length * 8L + locMapping.length * 24L + lineFunction.length * 8L
                + fnName.length * 16L + functionByName.length * 4L + locationByFunction.length * 4L;
    }

    public int[] importProfile(PprofData p, PprofRefs refs, int maxDepth) {
        return importProfile(p, refs, maxDepth, Integer.MAX_VALUE);
    }

    /**
     * Interns the symbols of a decoded, validated pprof and returns, per pprof sample, its stack
     * trace id (0 for an empty stack). Stacks deeper than {@code maxDepth} keep their leaf-most
     * frames, which is what users look at; strings (function and file names) longer than
     * {@code maxSymbolBytes} UTF-8 bytes are cut at a character boundary.
     */
    public int[] importProfile(PprofData p, PprofRefs refs, int maxDepth, int maxSymbolBytes) {
        this.maxSymbolBytes = maxSymbolBytes;
        int[] strMap = new int[p.stringCount];
        Arrays.fill(strMap, -1);
        strMap[0] = 0;

        int[] mapMap = new int[p.mappingCount];
        for (int i = 0; i < p.mappingCount; i++) {
            mapMap[i] = internMapping(p.mapStart[i], p.mapLimit[i], p.mapOffset[i],
                    str(p, strMap, p.mapFilename[i]), str(p, strMap, p.mapBuildId[i]), p.mapFlags[i]);
        }
        int[] fnMap = new int[p.functionCount];
        for (int i = 0; i < p.functionCount; i++) {
            long start = p.fnStartLine[i];
            fnMap[i] = internFunction(str(p, strMap, p.fnName[i]), str(p, strMap, p.fnSystemName[i]),
                    str(p, strMap, p.fnFilename[i]), (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, start)));
        }
        int[] locMap = new int[p.locationCount];
        int[] fns = new int[8];
        int[] lines = new int[8];
        for (int i = 0; i < p.locationCount; i++) {
            int n = p.locLineCount[i];
            if (fns.length < n) {
                fns = new int[n];
                lines = new int[n];
            }
            for (int k = 0; k < n; k++) {
                int li = p.locLineStart[i] + k;
                fns[k] = fnMap[refs.functions.index(p.lineFunctionId[li])];
                long line = p.lineLine[li];
                lines[k] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, line));
            }
            long mid = p.locMappingId[i];
            int mapping = mid == 0 ? 0 : mapMap[refs.mappings.index(mid)];
            locMap[i] = internLocation(mapping, p.locAddress[i], fns, lines, n);
        }

        int[] stacks = new int[p.sampleCount];
        int[] path = new int[64];
        for (int s = 0; s < p.sampleCount; s++) {
            int start = p.sampleLocStart[s];
            int depth = Math.min(p.sampleLocCount[s], maxDepth);
            if (path.length < depth) {
                path = new int[Math.max(depth, path.length * 2)];
            }
            for (int i = 0; i < depth; i++) {
                path[i] = locMap[refs.locations.index(p.locIds[start + i])];
            }
            stacks[s] = internStack(path, depth);
        }
        return stacks;
    }

    /** The leaf node of the stack trace {@code leafFirst[0..depth)} (location ids, leaf first), creating nodes when new. */
    private int internStack(int[] leafFirst, int depth) {
        if (depth == 0) {
            return 0;
        }
        long h = depth;
        for (int i = 0; i < depth; i++) {
            h = (h ^ leafFirst[i]) * 0x9E3779B97F4A7C15L;
        }
        h ^= h >>> 31;
        int cached = stacksByHash.get(h);
        if (cached >= 0 && stackPaths[cached + 1] == depth
                && Arrays.equals(stackPaths, cached + 2, cached + 2 + depth, leafFirst, 0, depth)) {
            return stackPaths[cached];
        }
        int node = 0;
        int i = depth - 1;
        for (; i >= 0; i--) {
            int child = stackNodes.get(node, leafFirst[i]);
            if (child < 0) {
                break;
            }
            node = child;
        }
        // Below a new node nothing exists yet: the rest of the stack is created without lookups.
        for (; i >= 0; i--) {
            node = addStackNode(node, leafFirst[i]);
        }
        if (cached < 0 && stackPathsSize + 2L + depth <= (long) STACK_PATH_INTS_PER_NODE * stackNodeCount) {
            stacksByHash.put(h, addStackPath(node, leafFirst, depth));
        }
        return node;
    }

    /** Appends a {@link #stackPaths} entry; returns its offset. */
    private int addStackPath(int leaf, int[] leafFirst, int depth) {
        int at = stackPathsSize;
        if (at + 2 + depth > stackPaths.length) {
            stackPaths = Arrays.copyOf(stackPaths, Math.max(stackPaths.length * 2, at + 2 + depth));
        }
        stackPaths[at] = leaf;
        stackPaths[at + 1] = depth;
        System.arraycopy(leafFirst, 0, stackPaths, at + 2, depth);
        stackPathsSize = at + 2 + depth;
        return at;
    }

    /** Symbol length cap of the profile being imported (importProfile runs under the writer's lock). */
    private int maxSymbolBytes = Integer.MAX_VALUE;

    private int str(PprofData p, int[] strMap, long idx) {
        int i = (int) idx;
        int id = strMap[i];
        if (id < 0) {
            int len = p.strLen[i];
            if (len > maxSymbolBytes) {
                len = maxSymbolBytes;
                // Do not split a multi-byte UTF-8 character: back up over continuation bytes.
                while (len > 0 && (p.buf[p.strOff[i] + len] & 0xC0) == 0x80) {
                    len--;
                }
            }
            id = strings.intern(p.buf, p.strOff[i], len);
            strMap[i] = id;
        }
        return id;
    }
}
