package dev.kiln.common.jfr;

import java.util.regex.Pattern;

/**
 * Function names as Pyroscope shows Java frames: the class symbol as the JVM writes it (slash
 * separated, {@code $} for nested classes; for native frames async-profiler puts the library
 * name in the class slot), a dot, and the method name — e.g. {@code java/lang/Thread.run},
 * {@code Outer$Inner.call}, {@code libc.so.6.__futex_abstimed_wait_common}.
 *
 * <p>Symbols that embed per-run random parts are merged first, as grafana/jfr-parser does
 * ({@code parser/symbols.go}), so that flame graphs from different JVM runs line up: lambda
 * and reflection-accessor class numbers, Spring CGLIB suffixes, and temp-file names of native
 * libraries unpacked by zstd-jni, Amazon Corretto Crypto Provider and async-profiler.
 */
final class FrameNames {
    private record Rule(String marker, Pattern pattern, String replacement) { }

    private static final Rule[] RULES = {
        new Rule("jdk/internal/reflect/GeneratedMethodAccessor",
                Pattern.compile("^(jdk/internal/reflect/GeneratedMethodAccessor)\\d+$"), "$1_"),
        // Outer$$Lambda$669.0x0000000800fd7318 (JDK 17), Outer$$Lambda.0x00007ffa600c4da0 (JDK 21+)
        new Rule("$$Lambda",
                Pattern.compile("^(.+\\$\\$Lambda)(\\$?\\d*[./](0x)?[\\da-f]+|\\d+)$"), "$1_"),
        new Rule("$$EnhancerBySpringCGLIB$$",
                Pattern.compile("^(.+\\$\\$EnhancerBySpringCGLIB\\$\\$).*$"), "$1_"),
        new Rule("libzstd-jni-",
                Pattern.compile("^(\\.?/tmp/)?libzstd-jni-\\d+\\.\\d+\\.\\d+-\\d+\\.so( \\(deleted\\))?$"),
                "libzstd-jni-_.so"),
        new Rule("amazonCorrettoCryptoProvider",
                Pattern.compile("^(\\.?/tmp/)?(lib)?amazonCorrettoCryptoProvider(NativeLibraries\\.)?[0-9a-f]{16}"
                        + "(/libcrypto|/libamazonCorrettoCryptoProvider)?\\.so( \\(deleted\\))?$"),
                "libamazonCorrettoCryptoProvider_.so"),
        new Rule("libasyncProfiler-",
                Pattern.compile("^(\\.?/tmp/)?libasyncProfiler-(linux-arm64|linux-musl-x64|linux-x64|macos)-[0-9a-f]+\\.so"
                        + "( \\(deleted\\))?$"),
                "libasyncProfiler-_.so"),
    };

    private FrameNames() {
    }

    /** The function name of a frame; {@code className} is null when the method's class is unknown. */
    static String functionName(String className, String methodName) {
        return merge(className == null ? "" : className) + "." + merge(methodName == null ? "" : methodName);
    }

    static String merge(String symbol) {
        for (Rule rule : RULES) {
            if (symbol.contains(rule.marker())) {
                symbol = rule.pattern().matcher(symbol).replaceAll(rule.replacement());
            }
        }
        return symbol;
    }
}
