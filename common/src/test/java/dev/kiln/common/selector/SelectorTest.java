package dev.kiln.common.selector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.InvalidInputException;
import dev.kiln.common.model.Labels;
import org.junit.jupiter.api.Test;

class SelectorTest {
    private final Labels labels = Labels.of("service_name", "api", "env", "prod", "region", "eu-west-1");

    @Test
    void parsesAllOperators() {
        Selector s = Selector.parse("{service_name=\"api\", env!=\"dev\", region=~\"eu-.*\", pod!~\"x.+\"}");
        assertEquals(4, s.matchers().size());
        assertEquals(LabelMatcher.Op.EQ, s.matchers().get(0).op());
        assertEquals(LabelMatcher.Op.NEQ, s.matchers().get(1).op());
        assertEquals(LabelMatcher.Op.RE, s.matchers().get(2).op());
        assertEquals(LabelMatcher.Op.NRE, s.matchers().get(3).op());
        assertTrue(s.matches(labels));
    }

    @Test
    void regexIsAnchored() {
        assertFalse(Selector.parse("{region=~\"eu\"}").matches(labels));
        assertTrue(Selector.parse("{region=~\"eu.*\"}").matches(labels));
    }

    @Test
    void absentLabelMatchesEmptyString() {
        assertTrue(Selector.parse("{span_name=\"\"}").matches(labels));
        assertFalse(Selector.parse("{span_name!=\"\"}").matches(labels));
    }

    @Test
    void emptyAndBracesOnly() {
        assertEquals(0, Selector.parse("").matchers().size());
        assertEquals(0, Selector.parse("{}").matchers().size());
        assertEquals(0, Selector.parse("  { } ").matchers().size());
    }

    @Test
    void prefixFormOfTheRenderApi() {
        Selector s = Selector.parse("process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"api\"}");
        assertEquals("process_cpu:cpu:nanoseconds:cpu:nanoseconds", s.prefix());
        assertEquals(1, s.matchers().size());
        assertEquals("memory:alloc_space:bytes:space:bytes", Selector.parse("memory:alloc_space:bytes:space:bytes").prefix());
    }

    @Test
    void quotesEscapesAndTrailingComma() {
        Selector s = Selector.parse("{a='x\"y', b=`c\\d`, \"dotted.name\"=\"v\\\"w\",}");
        assertEquals("x\"y", s.matchers().get(0).value());
        assertEquals("c\\d", s.matchers().get(1).value());
        assertEquals("dotted.name", s.matchers().get(2).name());
        assertEquals("v\"w", s.matchers().get(2).value());
    }

    @Test
    void badSyntaxNamesTheProblem() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Selector.parse("{a=b}"));
        assertTrue(e.getMessage().contains("expected a quoted value for label 'a'"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> Selector.parse("{a=\"b\""));
        assertTrue(e.getMessage().contains("expected ',' or '}'"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> Selector.parse("{a~\"b\"}"));
        assertTrue(e.getMessage().contains("expected one of =, !=, =~, !~"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> Selector.parse("{a=~\"(\"}"));
        assertTrue(e.getMessage().contains("invalid regex"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> Selector.parse("{a=\"unterminated}"));
        assertTrue(e.getMessage().contains("unterminated quoted string"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> Selector.parse("{a=\"b\"} extra"));
        assertThrows(InvalidInputException.class, () -> Selector.parse("bad name{}"));
    }

    @Test
    void catastrophicRegexRunsInLinearTime() {
        // (a+)+$ is exponential for backtracking engines; RE2 answers at once.
        Selector s = Selector.parse("{v=~\"(a+)+$\"}");
        assertFalse(s.matches(Labels.of("v", "a".repeat(5000) + "b")));
    }
}
