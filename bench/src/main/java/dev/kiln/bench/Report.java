package dev.kiln.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The benchmark's figures, each printed as it is measured, one line per figure:
 * {@code section.name  value unit  comparison}, where the comparison gives the ratio to the in-run
 * limit or the issue-8 target the figure is judged by.
 */
final class Report {
    record Figure(String section, String name, double value, String unit, String comparison) {}

    private final PrintStream out;
    private final List<Figure> figures = new ArrayList<>();

    Report(PrintStream out) {
        this.out = out;
    }

    void section(String title) {
        out.println();
        out.println("== " + title);
    }

    void add(String section, String name, double value, String unit, String comparison) {
        Figure f = new Figure(section, name, value, unit, comparison);
        figures.add(f);
        out.println(String.format(Locale.ROOT, "%-36s %12s %-10s %s", section + "." + name, number(value), unit, comparison).stripTrailing());
    }

    void note(String text) {
        out.println("   " + text);
    }

    /** Every figure by {@code section.name}, in the order measured. */
    Map<String, Double> values() {
        Map<String, Double> m = new LinkedHashMap<>();
        figures.forEach(f -> m.put(f.section() + "." + f.name(), f.value()));
        return m;
    }

    Set<String> sections() {
        Set<String> s = new LinkedHashSet<>();
        figures.forEach(f -> s.add(f.section()));
        return s;
    }

    /** "x.xx of target (better when higher/lower)" style ratio text. */
    static String ratio(double value, double reference, String what) {
        return String.format(Locale.ROOT, "= %.2f x %s", value / reference, what);
    }

    private static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.format(Locale.ROOT, "%,d", (long) v);
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%,.1f" : "%.3f", v);
    }
}
