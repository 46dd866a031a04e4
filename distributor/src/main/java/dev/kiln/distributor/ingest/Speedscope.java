package dev.kiln.distributor.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.common.InvalidInputException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Speedscope's JSON file format ({@code https://www.speedscope.app/file-format-schema.json}), as
 * {@code /ingest?format=speedscope} takes it: shared frames plus one or more profiles, each
 * {@code sampled} (stacks of frame indexes, root first, with weights) or {@code evented}
 * (open/close events at increasing times). Profiles with the same name, type, unit and start are
 * merged first, as Pyroscope does, so an upload never produces two profiles of one series at one
 * time.
 */
final class Speedscope {
    static final String SCHEMA = "https://www.speedscope.app/file-format-schema.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Speedscope() {}

    /** One stack with its weight in the profile's unit. */
    record WeightedStack(List<String> rootFirst, double weight) {}

    /** A merged profile: its name, unit ({@code none}, {@code bytes} or a time unit) and stacks. */
    record Parsed(String name, String unit, List<WeightedStack> stacks) {}

    private record MergeKey(String name, String type, String unit, double startValue) {}

    static List<Parsed> parse(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new InvalidInputException("invalid speedscope JSON: " + e.getMessage().split("\n")[0]);
        }
        if (root == null || !root.isObject()) {
            throw new InvalidInputException("invalid speedscope JSON: the file must be a JSON object");
        }
        String schema = root.path("$schema").asText("");
        if (!schema.equals(SCHEMA)) {
            throw new InvalidInputException("unknown speedscope schema '" + schema + "': expected " + SCHEMA);
        }
        List<String> frames = new ArrayList<>();
        for (JsonNode f : root.path("shared").path("frames")) {
            frames.add(f.path("name").asText(""));
        }
        Map<MergeKey, List<JsonNode>> merged = new LinkedHashMap<>();
        for (JsonNode p : root.path("profiles")) {
            MergeKey key = new MergeKey(p.path("name").asText(""), p.path("type").asText(""), p.path("unit").asText(""),
                    p.path("startValue").asDouble(0));
            merged.computeIfAbsent(key, k -> new ArrayList<>()).add(p);
        }
        List<Map.Entry<MergeKey, List<JsonNode>>> ordered = new ArrayList<>(merged.entrySet());
        ordered.sort(Comparator.comparingDouble(e -> e.getKey().startValue()));
        List<Parsed> out = new ArrayList<>();
        for (Map.Entry<MergeKey, List<JsonNode>> e : ordered) {
            MergeKey k = e.getKey();
            unitNanos(k.unit(), k.name());
            List<WeightedStack> stacks = new ArrayList<>();
            for (JsonNode p : e.getValue()) {
                switch (k.type()) {
                    case "sampled" -> sampled(p, frames, k.name(), stacks);
                    case "evented" -> evented(p, frames, k.name(), stacks);
                    default -> throw new InvalidInputException("speedscope profile '" + k.name() + "' has type '" + k.type()
                            + "': supported types are sampled and evented");
                }
            }
            out.add(new Parsed(k.name(), k.unit(), stacks));
        }
        return out;
    }

    /** Nanoseconds per unit for time units, 0 for {@code none} and {@code bytes}. */
    static long unitNanos(String unit, String profile) {
        return switch (unit) {
            case "nanoseconds" -> 1L;
            case "microseconds" -> 1_000L;
            case "milliseconds" -> 1_000_000L;
            case "seconds" -> 1_000_000_000L;
            case "none", "bytes" -> 0L;
            default -> throw new InvalidInputException("speedscope profile '" + profile + "' has unknown unit '" + unit
                    + "': use none, nanoseconds, microseconds, milliseconds, seconds or bytes");
        };
    }

    private static void sampled(JsonNode p, List<String> frames, String name, List<WeightedStack> out) {
        JsonNode samples = p.path("samples");
        JsonNode weights = p.path("weights");
        if (samples.size() != weights.size()) {
            throw new InvalidInputException("speedscope profile '" + name + "': " + samples.size() + " samples but "
                    + weights.size() + " weights");
        }
        for (int i = 0; i < samples.size(); i++) {
            double weight = weights.get(i).asDouble();
            if (weight < 0) {
                throw new InvalidInputException("speedscope profile '" + name + "': negative weight " + weight);
            }
            List<String> stack = new ArrayList<>();
            for (JsonNode f : samples.get(i)) {
                stack.add(frame(frames, f.asInt(-1), name));
            }
            out.add(new WeightedStack(stack, weight));
        }
    }

    /**
     * Time between consecutive events belongs to the stack open during it. Pyroscope scales only
     * the time before a close event to its integer precision and adds the time before an open
     * event unscaled; Kiln weighs both the same.
     */
    private static void evented(JsonNode p, List<String> frames, String name, List<WeightedStack> out) {
        double last = p.path("startValue").asDouble(0);
        List<Integer> open = new ArrayList<>();
        List<String> stack = new ArrayList<>();
        for (JsonNode ev : p.path("events")) {
            double at = ev.path("at").asDouble();
            if (at < last) {
                throw new InvalidInputException("speedscope profile '" + name + "': events out of order, " + at + " < " + last);
            }
            int fid = ev.path("frame").asInt(-1);
            String frame = frame(frames, fid, name);
            if (!stack.isEmpty() && at > last) {
                out.add(new WeightedStack(List.copyOf(stack), at - last));
            }
            switch (ev.path("type").asText("")) {
                case "O" -> {
                    open.add(fid);
                    stack.add(frame);
                }
                case "C" -> {
                    if (open.isEmpty() || open.getLast() != fid) {
                        throw new InvalidInputException("speedscope profile '" + name + "': closing frame " + fid
                                + " at " + at + ", which is not the innermost open frame");
                    }
                    open.removeLast();
                    stack.removeLast();
                }
                default -> throw new InvalidInputException("speedscope profile '" + name + "': unknown event type '"
                        + ev.path("type").asText("") + "' (expected O or C)");
            }
            last = at;
        }
    }

    private static String frame(List<String> frames, int index, String profile) {
        if (index < 0 || index >= frames.size()) {
            throw new InvalidInputException("speedscope profile '" + profile + "': frame index " + index
                    + " is out of range (" + frames.size() + " shared frames)");
        }
        return frames.get(index);
    }
}
