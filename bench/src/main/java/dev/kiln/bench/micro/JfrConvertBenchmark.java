package dev.kiln.bench.micro;

import dev.kiln.common.jfr.JfrConverter;
import dev.kiln.common.jfr.JfrProfile;
import dev.kiln.common.testing.JdkFlightRecording;
import dev.kiln.proto.jfr.LabelsSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
 * {@link JfrConverter#convert}: one uncompressed JFR recording into all its pprof profiles, on one
 * core. One operation is one recording; MB/s is ops/s times the size printed at setup. By default
 * the input is a real JDK Flight Recorder file recorded at setup ({@link JdkFlightRecording}: 1.5 s
 * of CPU, allocation, monitor and park events); {@code -p recording=FILE [-p labels=FILE]} converts
 * another recording, e.g. one from async-profiler with the agent's LabelsSnapshot.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class JfrConvertBenchmark {
    private static final String RECORD_AT_SETUP = "jdk";
    private static final String NO_LABELS = "none";

    /** {@value #RECORD_AT_SETUP} (record one at setup) or the path of a .jfr file. */
    @Param(RECORD_AT_SETUP)
    public String recording;
    /** {@value #NO_LABELS} or the path of the agent's LabelsSnapshot (protobuf) for the recording's context ids. */
    @Param(NO_LABELS)
    public String labels;

    private byte[] jfr;
    private LabelsSnapshot snapshot;

    @Setup
    public void load() throws IOException, InterruptedException {
        jfr = recording.equals(RECORD_AT_SETUP) ? JdkFlightRecording.record().jfr() : Files.readAllBytes(Path.of(recording));
        snapshot = labels.equals(NO_LABELS) ? null : LabelsSnapshot.parseFrom(Files.readAllBytes(Path.of(labels)));
        System.out.printf("input: JFR recording (%s), %.1f KB%n", recording, jfr.length / 1e3);
    }

    @Benchmark
    public List<JfrProfile> convert() {
        return JfrConverter.convert(jfr, snapshot);
    }
}
