package dev.kiln.ingester.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import dev.kiln.common.ErrorCode;
import dev.kiln.common.KilnException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalTest {
    private static final WalConfig SMALL_SEGMENTS = WalConfig.DEFAULTS.withSegmentSize(4096);
    private static final String FIRST_SEGMENT = "00000000000000000001.wal";

    @TempDir
    Path dir;

    @Test
    void recordsRoundTripInOrder() throws IOException {
        List<WalRecord> written = List.of(
                record("tenant-a", "01J0000000000000000000000A", 0, 10),
                record("tenant-b", "01J0000000000000000000000B", 1, 0),
                record("tenant-ä", "01J0000000000000000000000C", 2, 100_000));
        try (Wal wal = Wal.open(dir, WalConfig.DEFAULTS, r -> {})) {
            wal.append(written.subList(0, 2));
            wal.append(written.subList(2, 3));
        }
        List<WalRecord> replayed = replayAll(WalConfig.DEFAULTS);
        assertEquals(3, replayed.size());
        for (int i = 0; i < 3; i++) {
            assertRecord(written.get(i), replayed.get(i));
        }
    }

    @Test
    void segmentsRotateBySizeAndReplayInOrder() throws IOException {
        List<WalRecord> written = new ArrayList<>();
        try (Wal wal = Wal.open(dir, SMALL_SEGMENTS, r -> {})) {
            for (int i = 0; i < 12; i++) {
                WalRecord r = record("t", "BLOCK", i, 1000);
                written.add(r);
                wal.append(List.of(r));
            }
        }
        int frame = WalFrames.push(written.getFirst()).length();
        int perSegment = (4096 - WalFrames.FILE_HEADER.length) / frame;
        List<Path> segments = segmentFiles();
        assertEquals(12 / perSegment, segments.size());
        for (Path s : segments) {
            assertEquals(WalFrames.FILE_HEADER.length + (long) perSegment * frame, Files.size(s));
        }
        List<WalRecord> replayed = replayAll(SMALL_SEGMENTS);
        assertEquals(12, replayed.size());
        for (int i = 0; i < 12; i++) {
            assertRecord(written.get(i), replayed.get(i));
        }
    }

    @Test
    void tornTailAtEveryOffsetOfTheLastRecordIsTruncatedAndAppendsContinue() throws IOException {
        Path original = dir.resolve("original");
        List<WalRecord> written = new ArrayList<>();
        try (Wal wal = Wal.open(original, WalConfig.DEFAULTS, r -> {})) {
            for (int i = 0; i < 3; i++) {
                written.add(record("t", "BLOCK", i, 40));
                wal.append(List.of(written.getLast()));
            }
        }
        byte[] segment = Files.readAllBytes(original.resolve(FIRST_SEGMENT));
        int lastStart = segment.length - WalFrames.push(written.getLast()).length();
        for (int cut = lastStart + 1; cut < segment.length; cut++) {
            Path copy = dir.resolve("cut-" + cut);
            Files.createDirectories(copy);
            Files.write(copy.resolve(FIRST_SEGMENT), Arrays.copyOf(segment, cut));
            List<WalRecord> replayed = new ArrayList<>();
            try (LogCapture logs = new LogCapture(Wal.class); Wal wal = Wal.open(copy, WalConfig.DEFAULTS, replayed::add)) {
                assertEquals(2, replayed.size(), "cut at " + cut);
                List<LogCapture.Line> warnings = logs.warnings();
                assertEquals(1, warnings.size(), "cut at " + cut);
                assertEquals("truncated damaged write-ahead log tail", warnings.getFirst().message());
                assertEquals(FIRST_SEGMENT, warnings.getFirst().values().get("segment"));
                assertEquals(String.valueOf(lastStart), warnings.getFirst().values().get("offset"));
                assertTrue(warnings.getFirst().values().get("reason").startsWith("short read"), warnings.getFirst().values().get("reason"));
                assertEquals(lastStart, Files.size(copy.resolve(FIRST_SEGMENT)));
                wal.append(List.of(record("t", "BLOCK", 99, 40)));
            }
            List<WalRecord> after = new ArrayList<>();
            try (LogCapture logs = new LogCapture(Wal.class); Wal wal = Wal.open(copy, WalConfig.DEFAULTS, after::add)) {
                assertEquals(List.of(), logs.warnings());
            }
            assertEquals(3, after.size());
            assertRecord(written.get(1), after.get(1));
            assertRecord(record("t", "BLOCK", 99, 40), after.get(2));
        }
    }

    @Test
    void badChecksumInTheLastSegmentTruncatesAtThatRecord() throws IOException {
        List<WalRecord> written = writeRecords(WalConfig.DEFAULTS, 5, 100);
        int frame = WalFrames.push(written.getFirst()).length();
        long third = WalFrames.FILE_HEADER.length + 2L * frame;
        flipByte(dir.resolve(FIRST_SEGMENT), third + frame - 1);

        List<WalRecord> replayed = new ArrayList<>();
        try (LogCapture logs = new LogCapture(Wal.class); Wal wal = Wal.open(dir, WalConfig.DEFAULTS, replayed::add)) {
            assertEquals(List.of(new LogCapture.Line(Level.WARN, "truncated damaged write-ahead log tail",
                    Map.of("segment", FIRST_SEGMENT, "offset", String.valueOf(third), "reason", "bad CRC"))), logs.warnings());
        }
        assertEquals(2, replayed.size());
        assertRecord(written.get(1), replayed.get(1));
        assertEquals(third, Files.size(dir.resolve(FIRST_SEGMENT)));
    }

    @Test
    void damageInAnEarlierSegmentSkipsOnlyTheRestOfThatSegment() throws IOException {
        List<WalRecord> written = writeRecords(SMALL_SEGMENTS, 9, 1000);
        int frame = WalFrames.push(written.getFirst()).length();
        int perSegment = (4096 - WalFrames.FILE_HEADER.length) / frame;
        long second = WalFrames.FILE_HEADER.length + frame;
        Path first = dir.resolve(FIRST_SEGMENT);
        long sizeBefore = Files.size(first);
        flipByte(first, second + 20);

        List<WalRecord> replayed = new ArrayList<>();
        try (LogCapture logs = new LogCapture(Wal.class); Wal wal = Wal.open(dir, SMALL_SEGMENTS, replayed::add)) {
            List<LogCapture.Line> warnings = logs.warnings();
            assertEquals(1, warnings.size());
            assertEquals("skipped the rest of a damaged write-ahead log segment", warnings.getFirst().message());
            assertEquals(Map.of("segment", FIRST_SEGMENT, "offset", String.valueOf(second), "reason", "bad CRC"),
                    warnings.getFirst().values());
        }
        assertEquals(1 + (9 - perSegment), replayed.size());
        assertRecord(written.getFirst(), replayed.getFirst());
        assertRecord(written.get(perSegment), replayed.get(1));
        assertRecord(written.getLast(), replayed.getLast());
        assertEquals(sizeBefore, Files.size(first), "earlier segments are left as they are");
    }

    @Test
    void segmentsOfFlushedBlocksAreDeletedAndTheirRecordsSkipped() throws IOException {
        // 3 records fill a 4 KiB segment: A A A | B B A | C (active)
        try (Wal wal = Wal.open(dir, SMALL_SEGMENTS, r -> {})) {
            for (String block : List.of("A", "A", "A", "B", "B", "A", "C")) {
                wal.append(List.of(record("t", block, 0, 1200)));
            }
            assertEquals(3, segmentFiles().size());
            wal.markFlushed("t", "A");
            assertEquals(List.of("00000000000000000002.wal", "00000000000000000003.wal"), segmentNames());
            wal.markFlushed("t", "C");
            assertEquals(2, segmentFiles().size(), "the active segment stays");
        }
        List<WalRecord> replayed = new ArrayList<>();
        try (Wal wal = Wal.open(dir, SMALL_SEGMENTS, replayed::add)) {
            assertEquals(List.of("B", "B"), replayed.stream().map(WalRecord::blockId).toList());
            // Segment 3 held only C's record and is no longer active: gone at open.
            assertEquals(List.of("00000000000000000002.wal", "00000000000000000004.wal"), segmentNames());
            wal.markFlushed("t", "B");
            assertEquals(List.of("00000000000000000004.wal"), segmentNames());
        }
        assertEquals(List.of(), replayAll(SMALL_SEGMENTS));
        assertEquals(WalFrames.FILE_HEADER.length, Files.size(dir.resolve(FlushedLog.FILE_NAME)),
                "flushed blocks no segment mentions are forgotten");
    }

    @Test
    void flushedBlocksStaySkippedWhenTheirSegmentCannotBeDeletedYet() throws IOException {
        try (Wal wal = Wal.open(dir, WalConfig.DEFAULTS, r -> {})) {
            wal.append(List.of(record("t", "A", 0, 10), record("t", "B", 1, 10), record("u", "A", 2, 10)));
            wal.markFlushed("t", "A");
        }
        List<WalRecord> replayed = replayAll(WalConfig.DEFAULTS);
        assertEquals(List.of("t/B", "u/A"), replayed.stream().map(r -> r.tenant() + "/" + r.blockId()).toList());
    }

    @Test
    void damagedFlushedLogTailKeepsTheIntactEntries() throws IOException {
        try (Wal wal = Wal.open(dir, WalConfig.DEFAULTS, r -> {})) {
            wal.append(List.of(record("t", "A", 0, 10), record("t", "B", 1, 10), record("t", "C", 2, 10)));
            wal.markFlushed("t", "A");
            wal.markFlushed("t", "B");
        }
        Path flushed = dir.resolve(FlushedLog.FILE_NAME);
        try (RandomAccessFile f = new RandomAccessFile(flushed.toFile(), "rw")) {
            f.setLength(f.length() - 3);
        }
        List<WalRecord> replayed = new ArrayList<>();
        try (LogCapture logs = new LogCapture(FlushedLog.class); Wal wal = Wal.open(dir, WalConfig.DEFAULTS, replayed::add)) {
            assertEquals(1, logs.warnings().size());
            assertEquals("truncated damaged flushed-blocks log tail", logs.warnings().getFirst().message());
        }
        assertEquals(List.of("B", "C"), replayed.stream().map(WalRecord::blockId).toList());
    }

    @Test
    void concurrentWritersShareCommitsWithoutLosingOrInterleavingRecords() throws Exception {
        WalConfig config = WalConfig.DEFAULTS.withSegmentSize(64 << 10);
        int writers = 64;
        int appendsPerWriter = 100;
        try (Wal wal = Wal.open(dir, config, r -> {}); ExecutorService pool = Executors.newFixedThreadPool(writers)) {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                String tenant = "writer-" + w;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < appendsPerWriter; i++) {
                        // 1 to 3 records per append, as a push may touch several head blocks.
                        List<WalRecord> records = new ArrayList<>();
                        for (int k = 0; k <= i % 3; k++) {
                            records.add(record(tenant, "B" + k, i, 50 + 37 * k + i));
                        }
                        wal.append(records);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        assertTrue(segmentFiles().size() > 1, "rotation happened under concurrency");
        Map<String, List<WalRecord>> byWriter = new ConcurrentHashMap<>();
        for (WalRecord r : replayAll(config)) {
            byWriter.computeIfAbsent(r.tenant(), t -> new ArrayList<>()).add(r);
        }
        assertEquals(writers, byWriter.size());
        for (int w = 0; w < writers; w++) {
            List<WalRecord> records = byWriter.get("writer-" + w);
            int n = 0;
            for (int i = 0; i < appendsPerWriter; i++) {
                for (int k = 0; k <= i % 3; k++) {
                    assertRecord(record("writer-" + w, "B" + k, i, 50 + 37 * k + i), records.get(n++));
                }
            }
            assertEquals(n, records.size());
        }
    }

    @Test
    void everyFsyncPolicyKeepsWhatWasAcknowledged() throws IOException {
        for (FsyncPolicy policy : FsyncPolicy.values()) {
            Path d = dir.resolve(policy.configValue());
            WalConfig config = new WalConfig(4096, policy, Duration.ofMillis(5));
            try (Wal wal = Wal.open(d, config, r -> {})) {
                for (int i = 0; i < 10; i++) {
                    wal.append(List.of(record("t", "A", i, 700)));
                }
            }
            List<WalRecord> replayed = new ArrayList<>();
            try (Wal wal = Wal.open(d, config, replayed::add)) {
                assertEquals(10, replayed.size(), policy.name());
                assertRecord(record("t", "A", 9, 700), replayed.getLast());
            }
        }
    }

    @Test
    void appendAfterCloseIsRefused() throws IOException {
        Wal wal = Wal.open(dir, WalConfig.DEFAULTS, r -> {});
        wal.close();
        KilnException e = assertThrows(KilnException.class, () -> wal.append(List.of(record("t", "A", 0, 1))));
        assertEquals(ErrorCode.UNAVAILABLE, e.code());
        assertEquals("write-ahead log is closed", e.getMessage());
    }

    @Test
    void unknownFsyncPolicyIsNamedInTheError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FsyncPolicy.of("sometimes"));
        assertEquals("unknown pyroscopedb.wal.fsync \"sometimes\"; supported: always, interval, never", e.getMessage());
    }

    private List<WalRecord> writeRecords(WalConfig config, int count, int payloadSize) throws IOException {
        List<WalRecord> written = new ArrayList<>();
        try (Wal wal = Wal.open(dir, config, r -> {})) {
            for (int i = 0; i < count; i++) {
                written.add(record("t", "BLOCK", i, payloadSize));
                wal.append(List.of(written.getLast()));
            }
        }
        return written;
    }

    private List<WalRecord> replayAll(WalConfig config) throws IOException {
        List<WalRecord> out = new ArrayList<>();
        try (Wal wal = Wal.open(dir, config, out::add)) {
            return out;
        }
    }

    private List<Path> segmentFiles() throws IOException {
        return new ArrayList<>(Segments.list(dir).values());
    }

    private List<String> segmentNames() throws IOException {
        return segmentFiles().stream().map(p -> p.getFileName().toString()).toList();
    }

    /** A record whose payload is derived from its window start, so any changed byte is noticed. */
    private static WalRecord record(String tenant, String block, long windowStart, int payloadSize) {
        byte[] payload = new byte[payloadSize];
        for (int i = 0; i < payloadSize; i++) {
            payload[i] = (byte) (windowStart * 31 + i);
        }
        return new WalRecord(tenant, block, windowStart, payload);
    }

    private static void assertRecord(WalRecord expected, WalRecord actual) {
        assertEquals(expected.tenant(), actual.tenant());
        assertEquals(expected.blockId(), actual.blockId());
        assertEquals(expected.windowStartMs(), actual.windowStartMs());
        assertArrayEquals(expected.payload(), actual.payload());
    }

    private static void flipByte(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x5a);
        }
    }
}
