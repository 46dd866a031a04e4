package dev.kiln.common.testing;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A small deterministic mutation fuzzer for the default build: starting from a seed corpus of
 * valid inputs it applies random mutations (bit flips, interesting bytes, truncation, insertion,
 * deletion, duplication, splicing of two seeds) and runs the target on each result. The target
 * may throw only the exception types the decoder documents; anything else, or a hang beyond the
 * time budget, fails the test and writes the input to {@code target/fuzz-failures/} so it can
 * be replayed. The same fixed seed gives the same inputs on every run.
 */
public final class MutationFuzzer {
    @FunctionalInterface
    public interface Target {
        void accept(byte[] input) throws Exception;
    }

    private static final byte[] INTERESTING = {0, 1, 0x7f, (byte) 0x80, (byte) 0xff, 0x0a, 0x12, 0x1a, 0x22, 0x08, 0x10};

    private MutationFuzzer() {}

    /**
     * Runs {@code iterations} mutated inputs (plus each seed unmodified) through {@code target}
     * within {@code budget}.
     */
    @SafeVarargs
    public static void run(String name, List<byte[]> seeds, int iterations, Duration budget, Target target,
            Class<? extends Throwable>... allowed) {
        assertTimeoutPreemptively(budget, () -> {
            SplittableRandom rnd = new SplittableRandom(0x5EED ^ name.hashCode());
            for (byte[] seed : seeds) {
                check(name, seed, target, allowed);
            }
            for (int i = 0; i < iterations; i++) {
                byte[] base = seeds.get(rnd.nextInt(seeds.size()));
                byte[] input = base;
                int rounds = 1 + rnd.nextInt(4);
                for (int r = 0; r < rounds; r++) {
                    input = mutate(input, seeds, rnd);
                }
                check(name, input, target, allowed);
            }
        }, name + ": fuzzing did not finish within " + budget + " (a hang?)");
    }

    @SafeVarargs
    private static void check(String name, byte[] input, Target target, Class<? extends Throwable>... allowed) {
        try {
            target.accept(input);
        } catch (Throwable t) {
            for (Class<? extends Throwable> a : allowed) {
                if (a.isInstance(t)) {
                    return;
                }
            }
            Path saved = save(name, input);
            throw new AssertionError(name + ": undocumented " + t.getClass().getName() + " for input saved in " + saved
                    + " (" + Math.min(input.length, 64) + " first bytes: " + HexFormat.of().formatHex(input, 0, Math.min(input.length, 64)) + ")", t);
        }
    }

    private static Path save(String name, byte[] input) {
        try {
            Path dir = Path.of("target", "fuzz-failures");
            Files.createDirectories(dir);
            Path f = dir.resolve(name + "-" + Integer.toHexString(java.util.Arrays.hashCode(input)) + ".bin");
            Files.write(f, input);
            return f.toAbsolutePath();
        } catch (IOException e) {
            return Path.of("(not saved: " + e.getMessage() + ")");
        }
    }

    static byte[] mutate(byte[] in, List<byte[]> seeds, SplittableRandom rnd) {
        if (in.length == 0) {
            return new byte[] {(byte) rnd.nextInt(256)};
        }
        byte[] b = in.clone();
        switch (rnd.nextInt(8)) {
            case 0 -> b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
            case 1 -> b[rnd.nextInt(b.length)] = INTERESTING[rnd.nextInt(INTERESTING.length)];
            case 2 -> b = java.util.Arrays.copyOf(b, rnd.nextInt(b.length));
            case 3 -> {
                int at = rnd.nextInt(b.length + 1);
                int n = 1 + rnd.nextInt(8);
                byte[] out = new byte[b.length + n];
                System.arraycopy(b, 0, out, 0, at);
                for (int i = 0; i < n; i++) {
                    out[at + i] = (byte) rnd.nextInt(256);
                }
                System.arraycopy(b, at, out, at + n, b.length - at);
                b = out;
            }
            case 4 -> {
                int from = rnd.nextInt(b.length);
                int n = 1 + rnd.nextInt(Math.min(16, b.length - from));
                byte[] out = new byte[b.length - n];
                System.arraycopy(b, 0, out, 0, from);
                System.arraycopy(b, from + n, out, from, b.length - from - n);
                b = out;
            }
            case 5 -> {
                int from = rnd.nextInt(b.length);
                int n = 1 + rnd.nextInt(Math.min(64, b.length - from));
                byte[] out = new byte[b.length + n];
                System.arraycopy(b, 0, out, 0, from + n);
                System.arraycopy(b, from, out, from + n, b.length - from);
                b = out;
            }
            case 6 -> {
                byte[] other = seeds.get(rnd.nextInt(seeds.size()));
                int cut = rnd.nextInt(b.length);
                int otherCut = other.length == 0 ? 0 : rnd.nextInt(other.length);
                byte[] out = new byte[cut + other.length - otherCut];
                System.arraycopy(b, 0, out, 0, cut);
                System.arraycopy(other, otherCut, out, cut, other.length - otherCut);
                b = out;
            }
            default -> {
                // A large varint where a small one was: the classic length/count overflow.
                int at = rnd.nextInt(b.length);
                byte[] big = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f};
                byte[] out = new byte[b.length + big.length];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(big, 0, out, at, big.length);
                System.arraycopy(b, at, out, at + big.length, b.length - at);
                b = out;
            }
        }
        return b;
    }

    /** Seeds given as text. */
    public static List<byte[]> utf8(String... texts) {
        List<byte[]> out = new ArrayList<>();
        for (String t : texts) {
            out.add(t.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return out;
    }
}
