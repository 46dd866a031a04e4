package dev.kiln.common.selector;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.kiln.common.InvalidInputException;
import dev.kiln.common.model.Labels;

/**
 * One PromQL-style matcher. Regexes are RE2 (linear time, since selectors come from untrusted
 * clients) and fully anchored as in Prometheus. An absent label matches as the empty string.
 */
public final class LabelMatcher {
    public enum Op {
        EQ("="), NEQ("!="), RE("=~"), NRE("!~");

        final String symbol;

        Op(String symbol) {
            this.symbol = symbol;
        }
    }

    private final String name;
    private final Op op;
    private final String value;
    private final Pattern pattern;

    public LabelMatcher(String name, Op op, String value) {
        this.name = name;
        this.op = op;
        this.value = value;
        if (op == Op.RE || op == Op.NRE) {
            try {
                this.pattern = Pattern.compile("^(?:" + value + ")$", Pattern.DOTALL);
            } catch (PatternSyntaxException e) {
                throw new InvalidInputException("invalid regex in matcher " + name + op.symbol + "\"" + value + "\": " + e.getDescription());
            }
        } else {
            this.pattern = null;
        }
    }

    public static LabelMatcher eq(String name, String value) {
        return new LabelMatcher(name, Op.EQ, value);
    }

    public String name() {
        return name;
    }

    public Op op() {
        return op;
    }

    public String value() {
        return value;
    }

    public boolean matches(String labelValue) {
        String v = labelValue == null ? "" : labelValue;
        return switch (op) {
            case EQ -> v.equals(value);
            case NEQ -> !v.equals(value);
            case RE -> pattern.matches(v);
            case NRE -> !pattern.matches(v);
        };
    }

    public boolean matches(Labels labels) {
        return matches(labels.get(name));
    }

    /** True when a series without this label would match (so postings cannot narrow the search). */
    public boolean matchesEmpty() {
        return matches("");
    }

    @Override
    public String toString() {
        return name + op.symbol + "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
