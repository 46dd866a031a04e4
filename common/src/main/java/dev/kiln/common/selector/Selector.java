package dev.kiln.common.selector;

import dev.kiln.common.InvalidInputException;
import dev.kiln.common.model.Labels;
import java.util.ArrayList;
import java.util.List;

/**
 * A parsed label selector: {@code {a="b", c!="d", e=~"re", f!~"re"}}, optionally prefixed by a
 * name as in {@code process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="x"}} (the legacy
 * render API's query form). Values may use double quotes, single quotes or backticks with Go/PromQL
 * escapes; label names may be quoted to allow dots and other UTF-8 characters.
 */
public record Selector(String prefix, List<LabelMatcher> matchers) {
    public static final Selector ALL = new Selector("", List.of());

    public static Selector parse(String text) {
        return new Parser(text == null ? "" : text).parse();
    }

    /** Parses each selector, as in {@code matchers: ["{a=\"b\"}", ...]} request fields. */
    public static List<Selector> parseAll(List<String> texts) {
        List<Selector> out = new ArrayList<>(texts.size());
        for (String t : texts) {
            out.add(parse(t));
        }
        return out;
    }

    public boolean matches(Labels labels) {
        for (LabelMatcher m : matchers) {
            if (!m.matches(labels)) {
                return false;
            }
        }
        return true;
    }

    public Selector with(LabelMatcher extra) {
        List<LabelMatcher> all = new ArrayList<>(matchers);
        all.add(extra);
        return new Selector(prefix, List.copyOf(all));
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(prefix).append('{');
        for (int i = 0; i < matchers.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(matchers.get(i));
        }
        return sb.append('}').toString();
    }

    private static final class Parser {
        private final String s;
        private int pos;

        Parser(String s) {
            this.s = s;
        }

        Selector parse() {
            skipSpace();
            if (pos == s.length()) {
                return ALL;
            }
            int brace = s.indexOf('{', pos);
            String prefix;
            if (brace < 0) {
                prefix = s.substring(pos).trim();
                validatePrefix(prefix);
                return new Selector(prefix, List.of());
            }
            prefix = s.substring(pos, brace).trim();
            validatePrefix(prefix);
            pos = brace + 1;
            List<LabelMatcher> matchers = new ArrayList<>();
            while (true) {
                skipSpace();
                if (peek() == '}') {
                    pos++;
                    break;
                }
                matchers.add(matcher());
                skipSpace();
                char c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == '}') {
                    pos++;
                    break;
                } else {
                    throw error(c == 0 ? "unexpected end of selector, expected ',' or '}'" : "unexpected '" + c + "', expected ',' or '}'");
                }
            }
            skipSpace();
            if (pos != s.length()) {
                throw error("unexpected text after '}'");
            }
            return new Selector(prefix, List.copyOf(matchers));
        }

        private void validatePrefix(String prefix) {
            for (int i = 0; i < prefix.length(); i++) {
                char c = prefix.charAt(i);
                if (!(Character.isLetterOrDigit(c) || c == '_' || c == ':' || c == '.' || c == '-')) {
                    throw new InvalidInputException("invalid label selector " + quoteInput() + ": unexpected character '" + c + "' before '{'");
                }
            }
        }

        private LabelMatcher matcher() {
            String name = peek() == '"' || peek() == '\'' || peek() == '`' ? string() : identifier();
            skipSpace();
            LabelMatcher.Op op;
            if (s.startsWith("=~", pos)) {
                op = LabelMatcher.Op.RE;
                pos += 2;
            } else if (s.startsWith("!~", pos)) {
                op = LabelMatcher.Op.NRE;
                pos += 2;
            } else if (s.startsWith("!=", pos)) {
                op = LabelMatcher.Op.NEQ;
                pos += 2;
            } else if (s.startsWith("=", pos)) {
                op = LabelMatcher.Op.EQ;
                pos += 1;
            } else {
                throw error("expected one of =, !=, =~, !~ after label name '" + name + "'");
            }
            skipSpace();
            char q = peek();
            if (q != '"' && q != '\'' && q != '`') {
                throw error("expected a quoted value for label '" + name + "'");
            }
            return new LabelMatcher(name, op, string());
        }

        private String identifier() {
            int start = pos;
            while (pos < s.length()) {
                char c = s.charAt(pos);
                boolean ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (pos > start && c >= '0' && c <= '9');
                if (!ok) {
                    break;
                }
                pos++;
            }
            if (pos == start) {
                char c = peek();
                throw error(c == 0 ? "unexpected end of selector, expected a label name" : "unexpected '" + c + "', expected a label name");
            }
            return s.substring(start, pos);
        }

        private String string() {
            char quote = s.charAt(pos++);
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (pos >= s.length()) {
                    throw error("unterminated quoted string");
                }
                char c = s.charAt(pos++);
                if (c == quote) {
                    return sb.toString();
                }
                if (c == '\\' && quote != '`') {
                    if (pos >= s.length()) {
                        throw error("unterminated escape sequence");
                    }
                    char e = s.charAt(pos++);
                    switch (e) {
                        case 'n' -> sb.append('\n');
                        case 't' -> sb.append('\t');
                        case 'r' -> sb.append('\r');
                        case '\\', '"', '\'' -> sb.append(e);
                        case 'u' -> {
                            if (pos + 4 > s.length()) {
                                throw error("truncated \\u escape");
                            }
                            try {
                                sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                            } catch (NumberFormatException ex) {
                                throw error("invalid \\u escape");
                            }
                            pos += 4;
                        }
                        // Prometheus regexes are often written with single backslashes (\d, \.):
                        // keep unknown escapes verbatim so the regex engine sees them.
                        default -> sb.append('\\').append(e);
                    }
                } else {
                    sb.append(c);
                }
            }
        }

        private char peek() {
            return pos < s.length() ? s.charAt(pos) : 0;
        }

        private void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        private String quoteInput() {
            String shown = s.length() > 200 ? s.substring(0, 200) + "..." : s;
            return "'" + shown + "'";
        }

        private InvalidInputException error(String msg) {
            return new InvalidInputException("invalid label selector " + quoteInput() + " at position " + pos + ": " + msg);
        }
    }
}
