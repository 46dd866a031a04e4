package dev.kiln.common.jfr;

import dev.kiln.common.symbols.LongIntHashMap;

import java.util.Arrays;

/**
 * The constant pools of one chunk that samples resolve through: stack traces, methods, classes,
 * symbols, strings and thread states. Entries are kept as ids and byte positions; strings are
 * decoded only when a sampled frame needs them. Every other pool (threads, packages, class
 * loaders, frame types, ...) is skipped using its metadata layout.
 *
 * <p>Pools are spread over checkpoint events (type 1) linked backwards from the chunk header by a
 * relative offset ("delta"); an entry may refer to a pool that appears later, so references are
 * only resolved after all checkpoints are read.
 */
final class ConstantPools {
    private static final long CHECKPOINT_EVENT_TYPE = 1;

    private final JfrInput strings;

    private final LongIntHashMap stackIndex = new LongIntHashMap(16);
    private int[] stackStart = new int[64];
    private int[] stackLength = new int[64];
    private int stackCount;
    private long[] frameMethod = new long[256];
    private int[] frameLine = new int[256];
    private int frameCount;

    private final LongIntHashMap methodIndex = new LongIntHashMap(16);
    private long[] methodClass = new long[64];
    private long[] methodName = new long[64];
    private int methodCount;

    private final LongIntHashMap classIndex = new LongIntHashMap(16);
    private final LongIntHashMap symbolPositions = new LongIntHashMap(16);
    private final LongIntHashMap stringPositions = new LongIntHashMap(16);
    private final LongIntHashMap threadStatePositions = new LongIntHashMap(16);
    /** Symbol id of each class, indexed by the value classIndex maps the class id to. */
    private long[] classSymbolIds = new long[64];
    private int classCount;

    private ConstantPools(JfrInput strings) {
        this.strings = strings;
    }

    /**
     * Reads every checkpoint reachable from the chunk header's constant-pool offset.
     *
     * @param chunk       input spanning the whole chunk
     * @param chunkStart  absolute offset of the chunk
     * @param firstOffset the header's constant-pool offset, relative to the chunk; 0 means none
     */
    static ConstantPools read(JfrInput chunk, int chunkStart, long firstOffset, JfrMetadata metadata,
                              JfrInput stringDecoder) {
        ConstantPools pools = new ConstantPools(stringDecoder);
        PoolLayouts layouts = new PoolLayouts(metadata);
        LongIntHashMap visited = new LongIntHashMap(16);
        for (long offset = firstOffset, delta = firstOffset; delta != 0; offset += delta) {
            if (offset < ChunkHeader.SIZE || offset >= chunk.limit() - chunkStart) {
                throw chunk.invalid("constant pool offset " + offset + " is outside the chunk");
            }
            if (visited.get(offset) != LongIntHashMap.ABSENT) {
                throw chunk.invalid("constant pool checkpoints form a cycle at offset " + offset);
            }
            visited.put(offset, 0);
            chunk.position(chunkStart + (int) offset);
            delta = pools.readCheckpoint(chunk, metadata, layouts);
        }
        return pools;
    }

    /** Precomputed layouts of the pool types that are kept. */
    private static final class PoolLayouts {
        final JfrMetadata.Field framesField;
        final RecordLayout frame;
        final RecordLayout method;
        final RecordLayout classLayout;
        final RecordLayout symbol;
        final RecordLayout threadState;

        PoolLayouts(JfrMetadata metadata) {
            JfrMetadata.Type stackTrace = metadata.type("jdk.types.StackTrace");
            JfrMetadata.Field frames = stackTrace == null ? null : stackTrace.field("frames");
            boolean usable = frames != null && frames.array && !frames.constantPool
                    && frames.type.name.equals("jdk.types.StackFrame");
            framesField = usable ? frames : null;
            frame = usable ? RecordLayout.of(frames.type)
                    .reference("method", "jdk.types.Method", 0)
                    .number("lineNumber", 1)
                    .build() : null;
            method = layout(metadata, "jdk.types.Method", b -> b
                    .reference("type", "java.lang.Class", 0)
                    .reference("name", "jdk.types.Symbol", 1));
            classLayout = layout(metadata, "java.lang.Class", b -> b.reference("name", "jdk.types.Symbol", 0));
            symbol = layout(metadata, "jdk.types.Symbol", b -> b.stringPosition("string", 0));
            threadState = layout(metadata, "jdk.types.ThreadState", b -> b.stringPosition("name", 0));
        }

        private static RecordLayout layout(JfrMetadata metadata, String typeName,
                                           java.util.function.UnaryOperator<RecordLayout.Builder> binding) {
            JfrMetadata.Type type = metadata.type(typeName);
            return type == null ? null : binding.apply(RecordLayout.of(type)).build();
        }
    }

    /** Reads one checkpoint event and returns its delta to the next one (0 at the end of the chain). */
    private long readCheckpoint(JfrInput in, JfrMetadata metadata, PoolLayouts layouts) {
        int start = in.position();
        int chunkEnd = in.limit();
        int size = in.readSize("checkpoint event size");
        if (size == 0 || size > chunkEnd - start) {
            throw in.invalid("checkpoint event size " + size + " does not fit the chunk");
        }
        in.limit(start + size);
        long type = in.readLong();
        if (type != CHECKPOINT_EVENT_TYPE) {
            throw in.invalid("expected a checkpoint event (type 1) but found type " + type);
        }
        in.readLong(); // start time
        in.readLong(); // duration
        long delta = in.readLong();
        in.readByte(); // checkpoint kind flags
        int poolCount = in.readCount("constant pool");
        long[] scratch = new long[2];
        for (int p = 0; p < poolCount; p++) {
            long typeId = in.readLong();
            JfrMetadata.Type poolType = metadata.type(typeId);
            if (poolType == null) {
                throw in.invalid("constant pool of undeclared type id " + typeId);
            }
            int entries = in.readCount("constant pool entry");
            for (int e = 0; e < entries; e++) {
                readEntry(in, poolType, layouts, scratch);
            }
        }
        in.limit(chunkEnd);
        return delta;
    }

    private void readEntry(JfrInput in, JfrMetadata.Type type, PoolLayouts layouts, long[] scratch) {
        long id = in.readLong();
        switch (type.name) {
            case "jdk.types.StackTrace" -> readStackTrace(in, type, layouts, id);
            case "jdk.types.Method" -> {
                scratch[0] = 0;
                scratch[1] = 0;
                layouts.method.read(in, scratch, true);
                if (methodCount == methodClass.length) {
                    methodClass = Arrays.copyOf(methodClass, methodCount * 2);
                    methodName = Arrays.copyOf(methodName, methodCount * 2);
                }
                methodClass[methodCount] = scratch[0];
                methodName[methodCount] = scratch[1];
                methodIndex.put(id, methodCount++);
            }
            case "java.lang.Class" -> {
                scratch[0] = 0;
                layouts.classLayout.read(in, scratch, true);
                if (classCount == classSymbolIds.length) {
                    classSymbolIds = Arrays.copyOf(classSymbolIds, classCount * 2);
                }
                classSymbolIds[classCount] = scratch[0];
                classIndex.put(id, classCount++);
            }
            case "jdk.types.Symbol" -> readStringPosition(in, layouts.symbol, symbolPositions, id, scratch);
            case "jdk.types.ThreadState" -> readStringPosition(in, layouts.threadState, threadStatePositions, id, scratch);
            case "java.lang.String" -> {
                stringPositions.put(id, in.position());
                in.skipString();
            }
            default -> type.skip(in);
        }
    }

    private static void readStringPosition(JfrInput in, RecordLayout layout, LongIntHashMap positions, long id,
                                           long[] scratch) {
        scratch[0] = -1;
        layout.read(in, scratch, true);
        if (scratch[0] >= 0) {
            positions.put(id, (int) scratch[0]);
        }
    }

    private void readStackTrace(JfrInput in, JfrMetadata.Type type, PoolLayouts layouts, long id) {
        int first = frameCount;
        long[] frame = new long[2];
        for (JfrMetadata.Field field : type.fields) {
            if (field != layouts.framesField) {
                field.skip(in);
                continue;
            }
            int frames = in.readCount("stack frame");
            for (int i = 0; i < frames; i++) {
                frame[0] = 0;
                frame[1] = 0;
                layouts.frame.read(in, frame, true);
                if (frameCount == frameMethod.length) {
                    frameMethod = Arrays.copyOf(frameMethod, frameCount * 2);
                    frameLine = Arrays.copyOf(frameLine, frameCount * 2);
                }
                frameMethod[frameCount] = frame[0];
                frameLine[frameCount++] = (int) Math.max(0, Math.min(Integer.MAX_VALUE, frame[1]));
            }
        }
        if (stackCount == stackStart.length) {
            stackStart = Arrays.copyOf(stackStart, stackCount * 2);
            stackLength = Arrays.copyOf(stackLength, stackCount * 2);
        }
        stackStart[stackCount] = first;
        stackLength[stackCount] = frameCount - first;
        stackIndex.put(id, stackCount++);
    }

    /** Index of the stack trace with pool id {@code id}, or {@link LongIntHashMap#MISSING}. */
    int stack(long id) {
        return stackIndex.get(id);
    }

    int stackFrameStart(int stack) {
        return stackStart[stack];
    }

    int stackFrameCount(int stack) {
        return stackLength[stack];
    }

    long frameMethod(int frame) {
        return frameMethod[frame];
    }

    int frameLine(int frame) {
        return frameLine[frame];
    }

    /** Index of the method with pool id {@code id}, or {@link LongIntHashMap#MISSING}. */
    int method(long id) {
        return methodIndex.get(id);
    }

    String methodName(int method) {
        return symbol(methodName[method]);
    }

    boolean hasMethodClass(int method) {
        return classIndex.get(methodClass[method]) != LongIntHashMap.ABSENT;
    }

    /** Symbol name of the method's class (which must be in the pool), or null when the symbol is missing. */
    String methodClassName(int method) {
        return symbol(classSymbolIds[classIndex.get(methodClass[method])]);
    }

    /** Name of the thread state with pool id {@code id}, or null. */
    String threadState(long id) {
        return decode(threadStatePositions.get(id));
    }

    /** Decodes the string encoded at {@code position} (as a {@link RecordLayout} string slot holds it); -1 gives null. */
    String decodeString(long position) {
        return position < 0 ? null : decode((int) position);
    }

    private String symbol(long id) {
        return decode(symbolPositions.get(id));
    }

    private String decode(int position) {
        if (position == LongIntHashMap.ABSENT) {
            return null;
        }
        strings.position(position);
        return strings.readString(this::poolString);
    }

    /** A java.lang.String pool entry; such entries may not refer to the pool again. */
    private String poolString(long id) {
        int position = stringPositions.get(id);
        if (position == LongIntHashMap.ABSENT) {
            return null;
        }
        int saved = strings.position();
        strings.position(position);
        String value = strings.readString(nested -> {
            throw strings.invalid("string pool entry " + id + " refers to the pool again");
        });
        strings.position(saved);
        return value;
    }
}
