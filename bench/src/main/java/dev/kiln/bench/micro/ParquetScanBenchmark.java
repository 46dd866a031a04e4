package dev.kiln.bench.micro;

import dev.kiln.bench.KilnBench;
import dev.kiln.bench.Workload;
import dev.kiln.common.block.BlockMeta;
import dev.kiln.common.block.BlockSeries;
import dev.kiln.common.block.BlockUploader;
import dev.kiln.common.block.BlockWriter;
import dev.kiln.common.block.BlockWriterConfig;
import dev.kiln.common.block.ParquetBlock;
import dev.kiln.common.limits.Limits;
import dev.kiln.common.model.LabelNames;
import dev.kiln.common.model.Labels;
import dev.kiln.common.model.ProfileTypeId;
import dev.kiln.common.model.Ulid;
import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.query.SelectionSpec;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.selector.LabelMatcher;
import dev.kiln.common.selector.Selector;
import dev.kiln.common.tree.CallTree;
import dev.kiln.ingester.head.CumulativeDeltas;
import dev.kiln.ingester.head.DecodedProfile;
import dev.kiln.ingester.head.HeadBlock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@link ParquetBlock#mergeTree}: the flame-graph scan of a stored block, reading the selected rows'
 * (stack id, value) columns, aggregating per stack and resolving the stacks into a call tree. The
 * block is made as the ingester makes one: {@code profiles} workload profiles decoded and appended
 * to a head block ({@link DecodedProfile}, {@link HeadBlock}), written with {@link BlockWriter},
 * uploaded to a filesystem object store and opened from it. One row holds one profile of one
 * series; sizes are printed at setup, so rows/s and samples/s are ops/s times those. The symbol
 * tables load on the first scan (in warm-up).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ParquetScanBenchmark {
    private static final String TENANT = "bench";
    /** The busiest service of the workload: a third of its series. */
    private static final String ONE_SERVICE = "svc-0";

    @Param("240")
    public int profiles;

    private Path work;
    private ParquetBlock block;
    private SelectionSpec allCpu;
    private SelectionSpec oneServiceCpu;

    @Setup
    public void writeBlock() throws IOException {
        Workload w = BenchInputs.workload(profiles);
        HeadBlock head = new HeadBlock(Ulid.generate(), TENANT, 0, Long.MAX_VALUE, new CumulativeDeltas(System::currentTimeMillis));
        for (int k = 0; k < profiles; k++) {
            Labels labels = Labels.of(w.series().get(w.seriesOf()[k]));
            head.append(DecodedProfile.decode(labels, w.payloads().get(k), "profile-" + k, 0, Map.of(), Limits.DEFAULTS));
        }
        work = Files.createTempDirectory("kiln-jmh-block");
        Path local = work.resolve("local");
        List<BlockSeries> series = head.snapshot();
        BlockMeta meta = BlockWriter.write(local, TENANT, head.id(), series, head.symbols(), BlockWriterConfig.DEFAULTS);
        FilesystemObjectStore store = new FilesystemObjectStore(work.resolve("store"));
        BlockUploader.upload(store, local);
        block = ParquetBlock.open(store, TENANT, head.id());

        allCpu = cpu(Selector.ALL);
        oneServiceCpu = cpu(Selector.ALL.with(LabelMatcher.eq(LabelNames.SERVICE_NAME, ONE_SERVICE)));
        long bytes = meta.files().stream().mapToLong(BlockMeta.FileInfo::sizeBytes).sum();
        System.out.printf("input: block of %,d rows, %,d samples, %,d bytes; all CPU series: %s; %s: %s%n",
                meta.stats().numProfiles(), meta.stats().numSamples(), bytes, selected(series, null), ONE_SERVICE,
                selected(series, ONE_SERVICE));
    }

    @TearDown
    public void deleteBlock() throws IOException {
        KilnBench.deleteRecursively(work);
    }

    @Benchmark
    public CallTree mergeTreeAllSeries() {
        CallTree tree = new CallTree();
        block.mergeTree(allCpu, tree);
        return tree;
    }

    @Benchmark
    public CallTree mergeTreeOneService() {
        CallTree tree = new CallTree();
        block.mergeTree(oneServiceCpu, tree);
        return tree;
    }

    private static SelectionSpec cpu(Selector selector) {
        return new SelectionSpec(TimeRange.ALL, ProfileTypeId.parse(Workload.CPU_TYPE),
                selector.with(LabelMatcher.eq(LabelNames.PROFILE_TYPE, Workload.CPU_TYPE)), null, null);
    }

    /** "N rows, M samples" of the CPU series, of one service or (null) all. */
    private static String selected(List<BlockSeries> series, String service) {
        long rows = 0;
        long samples = 0;
        for (BlockSeries s : series) {
            if (Workload.CPU_TYPE.equals(s.labels().get(LabelNames.PROFILE_TYPE))
                    && (service == null || service.equals(s.labels().get(LabelNames.SERVICE_NAME)))) {
                rows += s.count();
                for (int k = 0; k < s.count(); k++) {
                    samples += s.stacks()[k].length;
                }
            }
        }
        return String.format("%,d rows, %,d samples", rows, samples);
    }
}
