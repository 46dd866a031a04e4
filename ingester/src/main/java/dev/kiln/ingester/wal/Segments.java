package dev.kiln.ingester.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Segment file naming ({@code 00000000000000000001.wal}, numbered in write order) and directory syncing. */
final class Segments {
    private static final Pattern NAME = Pattern.compile("(\\d{20})\\.wal");

    private Segments() {}

    static Path path(Path dir, long seq) {
        return dir.resolve(String.format("%020d.wal", seq));
    }

    /** The segment files of a directory by sequence number; other files are ignored. */
    static TreeMap<Long, Path> list(Path dir) throws IOException {
        TreeMap<Long, Path> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(f -> {
                Matcher m = NAME.matcher(f.getFileName().toString());
                if (m.matches()) {
                    out.put(Long.parseLong(m.group(1)), f);
                }
            });
        }
        return out;
    }

    /** Makes file creations, renames and deletions in a directory durable. */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
