package dev.kiln.bench.micro;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.kiln.common.io.Gzip;
import dev.kiln.common.pprof.PprofData;
import dev.kiln.common.pprof.PprofDecoder;
import dev.kiln.common.pprof.PprofRefs;
import dev.kiln.proto.pprof.Profile;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Decoding one pushed pprof on one core, in steps: gunzip alone (with the inflater Kiln uses,
 * libdeflate where the system has it, and with the JDK's zlib); gunzip + Kiln's streaming
 * {@link PprofDecoder}; the same + {@link PprofRefs#validate} (all that ingest does before the
 * write-ahead log); and gunzip + protobuf-java's {@code Profile.parseFrom}, the object-graph decode
 * the streaming decoder replaces. One operation is one profile. The benchmark cycles over
 * {@code profiles} distinct payloads so that one profile's bytes do not stay in the CPU caches;
 * MB/s is ops/s times the mean payload size printed at setup.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PprofDecodeBenchmark {
    @Param("16")
    public int profiles;

    private final PprofDecoder decoder = new PprofDecoder();
    private final PprofData data = new PprofData();
    private byte[][] payloads;
    private Cycle cycle;

    @Setup
    public void generate() {
        payloads = BenchInputs.workload(profiles).payloads().toArray(byte[][]::new);
        cycle = new Cycle(payloads.length);
    }

    @Benchmark
    public byte[] gunzip() {
        return BenchInputs.gunzip(nextPayload());
    }

    @Benchmark
    public byte[] gunzipJdk() {
        byte[] payload = nextPayload();
        return Gzip.decompressWithJdk(payload, 0, payload.length, Long.MAX_VALUE, "profile", "limits.max_profile_size_bytes");
    }

    @Benchmark
    public PprofData gunzipDecode() {
        byte[] raw = BenchInputs.gunzip(nextPayload());
        return decoder.decode(raw, 0, raw.length, data);
    }

    @Benchmark
    public PprofRefs gunzipDecodeValidate() {
        byte[] raw = BenchInputs.gunzip(nextPayload());
        return PprofRefs.validate(decoder.decode(raw, 0, raw.length, data));
    }

    @Benchmark
    public Profile gunzipParseFrom() throws InvalidProtocolBufferException {
        return Profile.parseFrom(BenchInputs.gunzip(nextPayload()));
    }

    private byte[] nextPayload() {
        return payloads[cycle.next()];
    }
}
