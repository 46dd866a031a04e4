package dev.kiln.common.io;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gzip decompression with the system's libdeflate ({@code libdeflate.so.0}, Debian's
 * {@code libdeflate0}), which inflates the pprof payloads agents send about 1.6 times as fast as
 * the JDK's zlib: on ingest, gunzip is the largest single cost.
 *
 * <p>Bound with the Foreign Function &amp; Memory API. Kiln's code targets Java 21, where that API
 * is still a preview, so the binding is made reflectively: it compiles for 21 and binds on a JDK
 * 22 or newer (which also has {@code Linker.Option.critical}, letting libdeflate read and write the
 * Java arrays in place). Where the JDK is older, the library is missing or
 * {@code -Dkiln.native_gzip=false} is set, {@link #available()} is false and {@link Gzip} uses
 * {@link java.util.zip.Inflater}.
 */
final class Libdeflate {
    private static final Logger LOG = LoggerFactory.getLogger(Libdeflate.class);
    /** Set to {@code false} to never load native code for gzip. */
    static final String ENABLED_PROPERTY = "kiln.native_gzip";

    static final int SUCCESS = 0;

    /** A decompressor per concurrent call: libdeflate's are not thread-safe, and cheap to keep. */
    private static final ConcurrentLinkedQueue<Object> IDLE = new ConcurrentLinkedQueue<>();
    private static final Binding BINDING = bind();

    private Libdeflate() {}

    static boolean available() {
        return BINDING != null;
    }

    /**
     * Decompresses the single gzip member starting at {@code in[off]} into {@code out[0..)},
     * checking its CRC-32 and length. Returns {@link #SUCCESS} or a libdeflate error code (bad
     * data, or {@code out} too small); on success {@code sizes[0]} is the compressed bytes consumed
     * and {@code sizes[1]} the bytes written.
     */
    static int gunzipMember(byte[] in, int off, int len, byte[] out, long[] sizes) {
        Object decompressor = IDLE.poll();
        try {
            if (decompressor == null) {
                decompressor = BINDING.alloc.invokeExact();
            }
            return (int) BINDING.gunzip.invokeExact(decompressor, in, (long) off, (long) len, out, (long) out.length, sizes);
        } catch (Throwable t) {
            throw new IllegalStateException("libdeflate call failed", t);
        } finally {
            if (decompressor != null) {
                IDLE.offer(decompressor);
            }
        }
    }

    /**
     * The two calls used: {@code alloc} is {@code libdeflate_alloc_decompressor()} typed
     * {@code ()Object}; {@code gunzip} is {@code libdeflate_gzip_decompress_ex} adapted to
     * {@code (Object decompressor, byte[] in, long off, long len, byte[] out, long outLen, long[] sizes)int}.
     */
    private record Binding(MethodHandle alloc, MethodHandle gunzip) {}

    private static Binding bind() {
        if ("false".equals(System.getProperty(ENABLED_PROPERTY))) {
            LOG.atInfo().addKeyValue("inflater", "jdk").addKeyValue("reason", "-D" + ENABLED_PROPERTY + "=false").log("gzip decompression");
            return null;
        }
        try {
            Binding b = link();
            // One real call, so a library that loads but misbehaves is caught here rather than on a push.
            byte[] empty = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0};
            long[] sizes = new long[2];
            Object d = b.alloc.invokeExact();
            int rc = (int) b.gunzip.invokeExact(d, empty, 0L, (long) empty.length, new byte[1], 1L, sizes);
            if (rc != SUCCESS || sizes[0] != empty.length || sizes[1] != 0) {
                throw new IllegalStateException("self-test returned " + rc);
            }
            IDLE.offer(d);
            LOG.atInfo().addKeyValue("inflater", "libdeflate").addKeyValue("library", "libdeflate.so.0").log("gzip decompression");
            return b;
        } catch (Throwable t) {
            LOG.atInfo().addKeyValue("inflater", "jdk").addKeyValue("reason", "libdeflate unavailable: " + t).log("gzip decompression");
            return null;
        }
    }

    private static Binding link() throws ReflectiveOperationException {
        Class<?> segment = Class.forName("java.lang.foreign.MemorySegment");
        Class<?> layout = Class.forName("java.lang.foreign.MemoryLayout");
        Class<?> valueLayout = Class.forName("java.lang.foreign.ValueLayout");
        Class<?> descriptor = Class.forName("java.lang.foreign.FunctionDescriptor");
        Class<?> linkerClass = Class.forName("java.lang.foreign.Linker");
        Class<?> option = Class.forName("java.lang.foreign.Linker$Option");
        Class<?> arena = Class.forName("java.lang.foreign.Arena");
        Class<?> lookupClass = Class.forName("java.lang.foreign.SymbolLookup");

        Object linker = linkerClass.getMethod("nativeLinker").invoke(null);
        Object library = lookupClass.getMethod("libraryLookup", String.class, arena)
                .invoke(null, "libdeflate.so.0", arena.getMethod("global").invoke(null));
        Method find = lookupClass.getMethod("find", String.class);
        Object address = valueLayout.getField("ADDRESS").get(null);
        Object int32 = valueLayout.getField("JAVA_INT").get(null);
        Object int64 = valueLayout.getField("JAVA_LONG").get(null);
        Method describe = descriptor.getMethod("of", layout, layout.arrayType());
        Method downcall = linkerClass.getMethod("downcallHandle", segment, descriptor, option.arrayType());
        Object critical = Array.newInstance(option, 1);
        Array.set(critical, 0, option.getMethod("critical", boolean.class).invoke(null, true));

        MethodHandle alloc = (MethodHandle) downcall.invoke(linker, symbol(find, library, "libdeflate_alloc_decompressor"),
                describe.invoke(null, address, array(layout)), Array.newInstance(option, 0));
        // enum libdeflate_result libdeflate_gzip_decompress_ex(struct libdeflate_decompressor *d,
        //     const void *in, size_t in_nbytes, void *out, size_t out_nbytes_avail,
        //     size_t *actual_in_nbytes_ret, size_t *actual_out_nbytes_ret)
        MethodHandle gunzip = (MethodHandle) downcall.invoke(linker, symbol(find, library, "libdeflate_gzip_decompress_ex"),
                describe.invoke(null, int32, array(layout, address, address, int64, address, int64, address, address)), critical);

        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        MethodHandle ofBytes = lookup.findStatic(segment, "ofArray", MethodType.methodType(segment, byte[].class));
        MethodHandle ofLongs = lookup.findStatic(segment, "ofArray", MethodType.methodType(segment, long[].class));
        MethodHandle slice = lookup.findVirtual(segment, "asSlice", MethodType.methodType(segment, long.class));
        // in: (byte[], long off) -> segment at off; sizes: one long[2] -> &sizes[0], &sizes[1]
        MethodHandle bytesAt = MethodHandles.filterArguments(slice, 0, ofBytes);
        MethodHandle secondLong = MethodHandles.filterReturnValue(ofLongs, MethodHandles.insertArguments(slice, 1, 8L));
        MethodHandle h = MethodHandles.collectArguments(gunzip, 1, bytesAt);         // (d, in, off, len, out, outLen, ain, aout)
        h = MethodHandles.filterArguments(h, 4, ofBytes);                            // out: byte[]
        h = MethodHandles.filterArguments(h, 6, ofLongs, secondLong);                // ain, aout: long[]
        MethodType adapted = MethodType.methodType(int.class, segment, byte[].class, long.class, long.class, byte[].class,
                long.class, long[].class);
        h = MethodHandles.permuteArguments(h, adapted, 0, 1, 2, 3, 4, 5, 6, 6);
        return new Binding(alloc.asType(MethodType.methodType(Object.class)),
                h.asType(adapted.changeParameterType(0, Object.class)));
    }

    private static Object symbol(Method find, Object library, String name) throws ReflectiveOperationException {
        return ((Optional<?>) find.invoke(library, name)).orElseThrow(() -> new IllegalStateException("no symbol " + name));
    }

    private static Object array(Class<?> layout, Object... layouts) {
        Object a = Array.newInstance(layout, layouts.length);
        for (int i = 0; i < layouts.length; i++) {
            Array.set(a, i, layouts[i]);
        }
        return a;
    }
}
