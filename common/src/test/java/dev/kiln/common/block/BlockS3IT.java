package dev.kiln.common.block;

import static dev.kiln.common.block.TestData.CPU;
import static dev.kiln.common.block.TestData.labels;
import static dev.kiln.common.block.TestData.select;
import static dev.kiln.common.block.TestData.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.common.objstore.FilesystemObjectStore;
import dev.kiln.common.objstore.S3Config;
import dev.kiln.common.objstore.S3ObjectStore;
import dev.kiln.common.query.SelectionSpec;
import dev.kiln.common.query.SeriesAccumulator;
import dev.kiln.common.query.TimeRange;
import dev.kiln.common.symbols.SymbolTable;
import dev.kiln.common.tree.CallTree;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** A block uploaded to S3 (S3Proxy, in process) and read back with ranged GETs answers like the same block on disk. */
class BlockS3IT {
    @TempDir
    Path tmp;

    @Test
    void blockInS3AnswersLikeTheSameBlockOnDisk() throws Exception {
        S3Proxy proxy = S3Proxy.builder().blobStore(new TransientNio2BlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "access", "secret").build();
        proxy.start();
        // start() returns before Jetty has bound its port
        while (!"STARTED".equals(proxy.getState())) {
            Thread.sleep(5);
        }
        try (S3Client admin = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + proxy.getPort()))
                .region(Region.US_EAST_1).forcePathStyle(true).httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("access", "secret")))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED).build();
                S3ObjectStore s3 = new S3ObjectStore(new S3Config("127.0.0.1:" + proxy.getPort(), "blocks", "us-east-1",
                        "access", "secret", true, true, S3Config.MIN_PART_SIZE, 2, "kiln"))) {
            admin.createBucket(b -> b.bucket("blocks"));

            SymbolTable t = new SymbolTable();
            Random rnd = new Random(5);
            int[] stacks = new int[200];
            for (int i = 0; i < stacks.length; i++) {
                stacks[i] = stack(t, "main", "f" + rnd.nextInt(20), "g" + i);
            }
            List<BlockSeries> series = new ArrayList<>();
            long total = 0;
            for (int s = 0; s < 8; s++) {
                TestData.SeriesBuilder b = new TestData.SeriesBuilder(labels(CPU, "svc" + s));
                for (int p = 0; p < 300; p++) {
                    int first = rnd.nextInt(stacks.length - 20);
                    long[] pairs = new long[40];
                    for (int k = 0; k < 20; k++) {
                        pairs[2 * k] = stacks[first + k];
                        pairs[2 * k + 1] = 1 + rnd.nextInt(100);
                        total += pairs[2 * k + 1];
                    }
                    b.profile(1000L * p, "id" + p, pairs);
                }
                series.add(b.build());
            }
            BlockWriterConfig small = new BlockWriterConfig(64 << 10, 500, 3);
            ParquetBlock onDisk = TestData.writeAndOpen(tmp, new FilesystemObjectStore(tmp.resolve("fs")), "t", series, t.publish(), small);
            ParquetBlock inS3 = TestData.writeAndOpen(tmp, s3, "t", series, t.publish(), small);
            assertEquals(onDisk.meta().stats(), inS3.meta().stats());

            for (SelectionSpec spec : List.of(select(CPU, "", TimeRange.ALL), select(CPU, "{service_name=\"svc3\"}", new TimeRange(50_000, 120_000)),
                    select(CPU, "{service_name=~\"svc[15]\"}", TimeRange.ALL, null, new String[] {"main", "f3"}))) {
                CallTree disk = new CallTree();
                onDisk.mergeTree(spec, disk);
                CallTree remote = new CallTree();
                inS3.mergeTree(spec, remote);
                assertEquals(TestData.selfByPath(disk), TestData.selfByPath(remote));
                SeriesAccumulator diskSeries = new SeriesAccumulator(0, 10_000, List.of("service_name"));
                onDisk.mergeSeries(spec, diskSeries);
                SeriesAccumulator remoteSeries = new SeriesAccumulator(0, 10_000, List.of("service_name"));
                inS3.mergeSeries(spec, remoteSeries);
                assertEquals(diskSeries.toProto(), remoteSeries.toProto());
            }
            CallTree all = new CallTree();
            inS3.mergeTree(select(CPU, "", TimeRange.ALL), all);
            assertEquals(total, all.total());
        } finally {
            proxy.stop();
        }
    }
}
