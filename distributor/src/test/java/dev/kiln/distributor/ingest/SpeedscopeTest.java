package dev.kiln.distributor.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.common.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SpeedscopeTest {
    static final String HEAD = "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
            + "\"shared\":{\"frames\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"},{\"name\":\"d\"}]},\"profiles\":[";

    static List<Speedscope.Parsed> parse(String profiles) {
        return Speedscope.parse((HEAD + profiles + "]}").getBytes(StandardCharsets.UTF_8));
    }

    static Map<String, Double> byStack(Speedscope.Parsed p) {
        Map<String, Double> m = new TreeMap<>();
        for (Speedscope.WeightedStack s : p.stacks()) {
            m.merge(String.join(";", s.rootFirst()), s.weight(), Double::sum);
        }
        return m;
    }

    @Test
    void eventedTimeGoesToTheStackOpenDuringIt() {
        // a opens at 0, b at 1, c at 3 (closes at 8), d 8..12, b closes 13, a closes 14.
        List<Speedscope.Parsed> out = parse("{\"type\":\"evented\",\"name\":\"simple.txt\",\"unit\":\"milliseconds\","
                + "\"startValue\":0,\"endValue\":14,\"events\":["
                + "{\"type\":\"O\",\"frame\":0,\"at\":0},{\"type\":\"O\",\"frame\":1,\"at\":1},{\"type\":\"O\",\"frame\":2,\"at\":3},"
                + "{\"type\":\"C\",\"frame\":2,\"at\":8},{\"type\":\"O\",\"frame\":3,\"at\":8},{\"type\":\"C\",\"frame\":3,\"at\":12},"
                + "{\"type\":\"C\",\"frame\":1,\"at\":13},{\"type\":\"C\",\"frame\":0,\"at\":14}]}");

        assertEquals(1, out.size());
        assertEquals("simple.txt", out.get(0).name());
        assertEquals("milliseconds", out.get(0).unit());
        assertEquals(Map.of("a", 2.0, "a;b", 3.0, "a;b;c", 5.0, "a;b;d", 4.0), byStack(out.get(0)));
    }

    @Test
    void sampledProfilesWithTheSameKeyAreMergedAndOrderedByStart() {
        List<Speedscope.Parsed> out = parse(
                "{\"type\":\"sampled\",\"name\":\"two\",\"unit\":\"seconds\",\"startValue\":5,\"endValue\":9,"
                        + "\"samples\":[[0,1]],\"weights\":[1.5]},"
                        + "{\"type\":\"sampled\",\"name\":\"one\",\"unit\":\"seconds\",\"startValue\":0,\"endValue\":4,"
                        + "\"samples\":[[0,1],[0,1,2]],\"weights\":[1,2]},"
                        + "{\"type\":\"sampled\",\"name\":\"one\",\"unit\":\"seconds\",\"startValue\":0,\"endValue\":4,"
                        + "\"samples\":[[0,1]],\"weights\":[4]}");

        assertEquals(List.of("one", "two"), out.stream().map(Speedscope.Parsed::name).toList());
        assertEquals(Map.of("a;b", 5.0, "a;b;c", 2.0), byStack(out.get(0)));
        assertEquals(Map.of("a;b", 1.5), byStack(out.get(1)));
    }

    @Test
    void malformedFilesNameTheProblem() {
        assertEquals("unknown speedscope schema 'x': expected https://www.speedscope.app/file-format-schema.json",
                assertThrows(InvalidInputException.class,
                        () -> Speedscope.parse("{\"$schema\":\"x\"}".getBytes(StandardCharsets.UTF_8))).getMessage());
        assertEquals("speedscope profile 'p': frame index 9 is out of range (4 shared frames)",
                assertThrows(InvalidInputException.class, () -> parse("{\"type\":\"sampled\",\"name\":\"p\",\"unit\":\"none\","
                        + "\"samples\":[[9]],\"weights\":[1]}")).getMessage());
        assertEquals("speedscope profile 'p' has unknown unit 'parsecs': use none, nanoseconds, microseconds, milliseconds, seconds or bytes",
                assertThrows(InvalidInputException.class, () -> parse("{\"type\":\"sampled\",\"name\":\"p\",\"unit\":\"parsecs\","
                        + "\"samples\":[],\"weights\":[]}")).getMessage());
        assertEquals("speedscope profile 'p': closing frame 1 at 2.0, which is not the innermost open frame",
                assertThrows(InvalidInputException.class, () -> parse("{\"type\":\"evented\",\"name\":\"p\",\"unit\":\"none\","
                        + "\"events\":[{\"type\":\"O\",\"frame\":0,\"at\":0},{\"type\":\"C\",\"frame\":1,\"at\":2}]}")).getMessage());
        assertEquals("speedscope profile 'p': 1 samples but 0 weights",
                assertThrows(InvalidInputException.class, () -> parse("{\"type\":\"sampled\",\"name\":\"p\",\"unit\":\"none\","
                        + "\"samples\":[[0]],\"weights\":[]}")).getMessage());
    }
}
