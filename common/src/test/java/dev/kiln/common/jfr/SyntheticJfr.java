package dev.kiln.common.jfr;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes small JFR chunks by hand, in either integer encoding, for what no producer emits on
 * demand: fixed-width integers, multi-chunk files, and deliberately inconsistent recordings.
 *
 * <p>The standard chunk declares a minimal type system, one stack trace
 * {@code demo/App.leaf:42 <- demo/App.main:10}, an ExecutionSample period setting of "20 ms" and
 * three ExecutionSample events. Metadata comes first and the checkpoint last, so every prefix of
 * the event region is reachable by truncation.
 */
final class SyntheticJfr {
    record FieldDef(String name, long typeId, boolean constantPool, boolean array) {
        static FieldDef of(String name, long typeId) {
            return new FieldDef(name, typeId, false, false);
        }

        static FieldDef pool(String name, long typeId) {
            return new FieldDef(name, typeId, true, false);
        }
    }

    record ClassDef(long id, String name, List<FieldDef> fields) { }

    static final long LONG = 10;
    static final long INT = 11;
    static final long BOOLEAN = 12;
    static final long STRING = 13;
    static final long SYMBOL = 20;
    static final long CLASS = 21;
    static final long METHOD = 22;
    static final long STACK_FRAME = 23;
    static final long STACK_TRACE = 24;
    static final long THREAD_STATE = 25;
    static final long EXECUTION_SAMPLE = 100;
    static final long ACTIVE_SETTING = 101;

    final boolean compressed;

    SyntheticJfr(boolean compressed) {
        this.compressed = compressed;
    }

    /** A byte sink writing integers in the chunk's encoding. */
    final class Body {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Body integer(long value) {
            if (compressed) {
                while ((value & ~0x7FL) != 0) {
                    bytes.write((int) (value & 0x7F) | 0x80);
                    value >>>= 7;
                }
                bytes.write((int) value);
            } else {
                bytes.writeBytes(ByteBuffer.allocate(8).putLong(value).array());
            }
            return this;
        }

        /** An int-typed value: a varint, or 4 bytes when uncompressed. */
        Body int32(int value) {
            if (compressed) {
                return integer(value & 0xFFFFFFFFL);
            }
            bytes.writeBytes(ByteBuffer.allocate(4).putInt(value).array());
            return this;
        }

        Body raw(int value) {
            bytes.write(value);
            return this;
        }

        Body string(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            raw(JfrInput.STRING_UTF8).int32(utf8.length);
            bytes.writeBytes(utf8);
            return this;
        }

        Body append(byte[] b) {
            bytes.writeBytes(b);
            return this;
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }

    Body body() {
        return new Body();
    }

    static List<ClassDef> standardTypes() {
        return List.of(
                new ClassDef(LONG, "long", List.of()),
                new ClassDef(INT, "int", List.of()),
                new ClassDef(BOOLEAN, "boolean", List.of()),
                new ClassDef(STRING, "java.lang.String", List.of()),
                new ClassDef(SYMBOL, "jdk.types.Symbol", List.of(FieldDef.of("string", STRING))),
                new ClassDef(CLASS, "java.lang.Class", List.of(FieldDef.pool("name", SYMBOL))),
                new ClassDef(METHOD, "jdk.types.Method", List.of(FieldDef.pool("type", CLASS), FieldDef.pool("name", SYMBOL))),
                new ClassDef(STACK_FRAME, "jdk.types.StackFrame",
                        List.of(FieldDef.pool("method", METHOD), FieldDef.of("lineNumber", INT))),
                new ClassDef(STACK_TRACE, "jdk.types.StackTrace", List.of(FieldDef.of("truncated", BOOLEAN),
                        new FieldDef("frames", STACK_FRAME, false, true))),
                new ClassDef(THREAD_STATE, "jdk.types.ThreadState", List.of(FieldDef.of("name", STRING))),
                new ClassDef(EXECUTION_SAMPLE, "jdk.ExecutionSample", List.of(FieldDef.of("startTime", LONG),
                        FieldDef.pool("stackTrace", STACK_TRACE), FieldDef.pool("state", THREAD_STATE),
                        FieldDef.of("contextId", LONG))),
                new ClassDef(ACTIVE_SETTING, "jdk.ActiveSetting", List.of(FieldDef.of("startTime", LONG),
                        FieldDef.of("id", LONG), FieldDef.of("name", STRING), FieldDef.of("value", STRING))));
    }

    /** The metadata event declaring {@code classes}. */
    byte[] metadata(List<ClassDef> classes) {
        List<String> strings = new ArrayList<>();
        Body tree = body();
        tree.int32(index(strings, "root")).int32(0).int32(1);
        tree.int32(index(strings, "metadata")).int32(0).int32(classes.size());
        for (ClassDef c : classes) {
            tree.int32(index(strings, "class")).int32(2)
                    .int32(index(strings, "id")).int32(index(strings, Long.toString(c.id())))
                    .int32(index(strings, "name")).int32(index(strings, c.name()))
                    .int32(c.fields().size());
            for (FieldDef f : c.fields()) {
                int attributes = 2 + (f.constantPool() ? 1 : 0) + (f.array() ? 1 : 0);
                tree.int32(index(strings, "field")).int32(attributes)
                        .int32(index(strings, "name")).int32(index(strings, f.name()))
                        .int32(index(strings, "class")).int32(index(strings, Long.toString(f.typeId())));
                if (f.constantPool()) {
                    tree.int32(index(strings, "constantPool")).int32(index(strings, "true"));
                }
                if (f.array()) {
                    tree.int32(index(strings, "dimension")).int32(index(strings, "1"));
                }
                tree.int32(0);
            }
        }
        Body body = body().integer(0).integer(0).integer(1).int32(strings.size());
        for (String s : strings) {
            body.string(s);
        }
        return event(0, body.append(tree.toByteArray()));
    }

    private static int index(List<String> strings, String s) {
        int i = strings.indexOf(s);
        if (i < 0) {
            strings.add(s);
            i = strings.size() - 1;
        }
        return i;
    }

    /** An event: 4-byte size (a padded varint when compressed), type id, body. */
    byte[] event(long type, Body body) {
        byte[] typeAndBody = body().integer(type).append(body.toByteArray()).toByteArray();
        int size = 4 + typeAndBody.length;
        ByteBuffer event = ByteBuffer.allocate(size);
        if (compressed) {
            event.put((byte) (size & 0x7F | 0x80)).put((byte) (size >>> 7 & 0x7F | 0x80))
                    .put((byte) (size >>> 14 & 0x7F | 0x80)).put((byte) (size >>> 21 & 0x7F));
        } else {
            event.putInt(size);
        }
        return event.put(typeAndBody).array();
    }

    /** Checkpoint body prefix up to (and including) the pool count. */
    Body checkpointHeader(long delta, int poolCount) {
        return body().integer(0).integer(0).integer(delta).raw(0).int32(poolCount);
    }

    /** The standard pools: symbols, class, methods, one stack trace (id 7) and a thread state (id 1). */
    byte[] standardCheckpoint() {
        Body body = checkpointHeader(0, 5);
        body.integer(SYMBOL).int32(3)
                .integer(1).string("demo/App")
                .integer(2).string("main")
                .integer(3).string("leaf");
        body.integer(CLASS).int32(1).integer(1).integer(1);
        body.integer(METHOD).int32(2).integer(1).integer(1).integer(2).integer(2).integer(1).integer(3);
        body.integer(STACK_TRACE).int32(1).integer(7).raw(0).int32(2)
                .integer(2).int32(42)
                .integer(1).int32(10);
        body.integer(THREAD_STATE).int32(1).integer(1).string("STATE_RUNNABLE");
        return event(1, body);
    }

    byte[] executionSample(long stackId, long contextId) {
        return event(EXECUTION_SAMPLE, body().integer(0).integer(stackId).integer(1).integer(contextId));
    }

    byte[] periodSetting(String period) {
        return event(ACTIVE_SETTING, body().integer(0).integer(EXECUTION_SAMPLE).string("period").string(period));
    }

    /** Header + metadata + events + checkpoint (which may be null for a chunk without pools). */
    byte[] chunk(long startNanos, byte[] metadata, List<byte[]> events, byte[] checkpoint) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        content.writeBytes(metadata);
        events.forEach(content::writeBytes);
        long checkpointOffset = checkpoint == null ? 0 : ChunkHeader.SIZE + content.size();
        if (checkpoint != null) {
            content.writeBytes(checkpoint);
        }
        ByteBuffer header = ByteBuffer.allocate(ChunkHeader.SIZE)
                .putInt(0x464C5200).putShort((short) 2).putShort((short) 1)
                .putLong(ChunkHeader.SIZE + content.size())
                .putLong(checkpointOffset)
                .putLong(ChunkHeader.SIZE)
                .putLong(startNanos)
                .putLong(1_000_000_000L)
                .putLong(0)
                .putLong(1_000_000_000L)
                .putInt(compressed ? 1 : 0);
        ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        chunk.writeBytes(header.array());
        chunk.writeBytes(content.toByteArray());
        return chunk.toByteArray();
    }

    byte[] standardChunk(long startNanos, String period) {
        return chunk(startNanos, metadata(standardTypes()),
                List.of(periodSetting(period), executionSample(7, 0), executionSample(7, 0), executionSample(7, 0)),
                standardCheckpoint());
    }
}
