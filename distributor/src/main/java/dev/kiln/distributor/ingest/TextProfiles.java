package dev.kiln.distributor.ingest;

import dev.kiln.common.InvalidInputException;
import dev.kiln.common.pprof.ProfileBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Text formats of {@code /ingest} turned into pprof: folded stacks ({@code a;b;c 42} per line,
 * Brendan Gregg's collapsed format, the default) and {@code lines} (one stack per line, counting 1).
 * The profile kind comes from the application name's suffix, as in Pyroscope.
 */
public final class TextProfiles {
    private TextProfiles() {}

    /** The stored name, sample type and unit for a profile kind suffix (wire.md §1.3.1). */
    public record Kind(String name, String sampleType, String sampleUnit, boolean timeBased) {}

    public static Kind kind(String suffix) {
        return switch (suffix) {
            case "cpu", "itimer" -> new Kind("process_cpu", "cpu", "nanoseconds", true);
            case "wall", "seconds", "nanoseconds", "microseconds", "milliseconds" -> new Kind("wall", "wall", "nanoseconds", true);
            case "inuse_objects", "alloc_objects" -> new Kind("memory", suffix, "count", false);
            case "inuse_space", "alloc_space" -> new Kind("memory", suffix, "bytes", false);
            case "goroutines" -> new Kind("goroutine", "goroutines", "count", false);
            case "mutex_count" -> new Kind("mutex", "contentions", "count", false);
            case "mutex_duration" -> new Kind("mutex", "delay", "nanoseconds", false);
            case "block_count", "lock_count" -> new Kind("block", "contentions", "count", false);
            case "block_duration", "lock_duration" -> new Kind("block", "delay", "nanoseconds", false);
            case "alloc_in_new_tlab_objects", "alloc_outside_tlab_objects" -> new Kind("memory", suffix, "count", false);
            case "alloc_in_new_tlab_bytes", "alloc_outside_tlab_bytes" -> new Kind("memory", suffix, "bytes", false);
            case "live" -> new Kind("memory", "live", "count", false);
            case "exceptions" -> new Kind("exceptions", "samples", "count", false);
            case "bytes" -> new Kind("memory", "samples", "bytes", false);
            default -> throw new InvalidInputException("unknown profile type '" + suffix
                    + "' in the application name suffix: use e.g. .cpu, .wall, .alloc_space, .inuse_objects, .goroutines, .mutex_count");
        };
    }

    /**
     * Parses folded (or, with {@code lines}, one-stack-per-line) text into a pprof. Time-based
     * kinds are scaled from samples to nanoseconds by the sample rate (period = 1e9/sampleRate).
     */
    public static ProfileBuilder parse(byte[] body, boolean lines, Kind kind, int sampleRate) {
        ProfileBuilder b = new ProfileBuilder();
        long period = 0;
        if (kind.timeBased && sampleRate > 0) {
            period = 1_000_000_000L / sampleRate;
            b.sampleType(kind.sampleType, "nanoseconds").periodType("cpu", "nanoseconds").period(period);
        } else if (kind.timeBased) {
            b.sampleType(kind.sampleType.equals("cpu") ? "samples" : kind.sampleType, "count").periodType("cpu", "nanoseconds");
        } else {
            b.sampleType(kind.sampleType, kind.sampleUnit);
        }
        String text = new String(body, StandardCharsets.UTF_8);
        int lineNo = 0;
        for (String line : text.split("\n")) {
            lineNo++;
            String l = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
            if (l.isBlank()) {
                continue;
            }
            String stack;
            long value;
            if (lines) {
                stack = l;
                value = 1;
            } else {
                int sp = l.lastIndexOf(' ');
                if (sp <= 0) {
                    throw new InvalidInputException("folded line " + lineNo + ": expected '<frame>;<frame>;... <value>'");
                }
                stack = l.substring(0, sp);
                try {
                    value = Long.parseLong(l.substring(sp + 1).trim());
                } catch (NumberFormatException e) {
                    throw new InvalidInputException("folded line " + lineNo + ": invalid sample value '" + l.substring(sp + 1).trim() + "'");
                }
                if (value < 0) {
                    throw new InvalidInputException("folded line " + lineNo + ": negative sample value " + value);
                }
            }
            if (value == 0) {
                continue;
            }
            List<String> frames = Arrays.stream(stack.split(";")).filter(f -> !f.isEmpty()).toList();
            if (frames.isEmpty()) {
                continue;
            }
            b.add(frames, new long[] {period > 0 ? Math.multiplyExact(value, period) : value}, Map.of());
        }
        return b;
    }
}
