package dev.kiln.distributor.ingest;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.kiln.common.InvalidInputException;
import dev.kiln.common.io.Gzip;
import dev.kiln.proto.pprof.Function;
import dev.kiln.proto.pprof.Profile;
import dev.kiln.proto.pprof.ValueType;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Pyroscope's fix-ups of pprof uploads from particular agents on {@code /ingest}, so their data
 * looks as it does in Pyroscope:
 * <ul>
 * <li>scripting spies ({@code pyspy}, {@code rbspy}, {@code scripting}): every function name gets
 *     its file name in front ({@code "app.py main"}), because those agents report bare names that
 *     are ambiguous across files;</li>
 * <li>{@code dotnetspy} (or spy {@code unknown} with a {@code sample_type_config} keyed
 *     {@code inuse-space}): old .NET agents write every function with id 0 while there is one
 *     function per location, so function i gets the id of location i; and sample type names
 *     use dashes, which become underscores ({@code inuse-space} is {@code inuse_space}).</li>
 * </ul>
 * Other uploads pass through untouched and are not decoded here.
 */
final class SpyFixes {
    private static final Set<String> SCRIPTING_SPIES = Set.of("pyspy", "rbspy", "scripting");
    /** Decompressed size up to which a profile is rewritten: the default HTTP body limit. */
    static final long MAX_PROFILE_BYTES = 256L << 20;

    private SpyFixes() {}

    static boolean isDotnet(String spy, Set<String> sampleTypeConfigKeys) {
        return spy.equals("dotnetspy") || (spy.equals("unknown") && sampleTypeConfigKeys.contains("inuse-space"));
    }

    /** The pprof to store: {@code pprof} itself when no fix applies, else the rewritten profile (uncompressed). */
    static byte[] apply(byte[] pprof, String spy, Set<String> sampleTypeConfigKeys) {
        boolean scripting = SCRIPTING_SPIES.contains(spy);
        boolean dotnet = isDotnet(spy, sampleTypeConfigKeys);
        if (!scripting && !dotnet) {
            return pprof;
        }
        byte[] raw = Gzip.maybeDecompress(pprof, MAX_PROFILE_BYTES, "profile", "server.http_max_request_bytes");
        Profile profile;
        try {
            profile = Profile.parseFrom(raw);
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidInputException("invalid pprof profile: " + e.getMessage());
        }
        Profile.Builder b = profile.toBuilder();
        if (scripting) {
            prefixFileNames(b);
        }
        if (dotnet) {
            fixDotnetFunctionIds(b);
            underscoreSampleTypes(b);
        }
        return b.build().toByteArray();
    }

    private static void prefixFileNames(Profile.Builder b) {
        Map<String, Long> added = new HashMap<>();
        for (int i = 0; i < b.getFunctionCount(); i++) {
            Function fn = b.getFunction(i);
            String file = string(b, fn.getFilename());
            if (file.isEmpty()) {
                continue;
            }
            String name = file + " " + string(b, fn.getName());
            long index = added.computeIfAbsent(name, n -> {
                b.addStringTable(n);
                return (long) b.getStringTableCount() - 1;
            });
            b.setFunction(i, fn.toBuilder().setName(index));
        }
    }

    private static void fixDotnetFunctionIds(Profile.Builder b) {
        for (Function fn : b.getFunctionList()) {
            if (fn.getId() != 0) {
                return;
            }
        }
        if (b.getFunctionCount() != b.getLocationCount()) {
            return;
        }
        for (int i = 0; i < b.getFunctionCount(); i++) {
            b.setFunction(i, b.getFunction(i).toBuilder().setId(b.getLocation(i).getId()));
        }
    }

    private static void underscoreSampleTypes(Profile.Builder b) {
        for (ValueType st : b.getSampleTypeList()) {
            String type = string(b, st.getType());
            if (type.contains("-")) {
                b.setStringTable((int) st.getType(), type.replace('-', '_'));
            }
        }
    }

    private static String string(Profile.Builder b, long index) {
        if (index < 0 || index >= b.getStringTableCount()) {
            throw new InvalidInputException("invalid pprof profile: string index " + index + " out of range (table has "
                    + b.getStringTableCount() + ")");
        }
        return b.getStringTable((int) index);
    }
}
