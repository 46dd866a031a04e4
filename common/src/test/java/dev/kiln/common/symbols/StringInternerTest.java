package dev.kiln.common.symbols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StringInternerTest {
    @Test
    void equalBytesGetOneIdAndDistinctBytesDistinctIds() {
        StringInterner interner = new StringInterner();
        // Lengths 0..40 cover the hash's 16-byte lanes, its 8-byte step and short and long tails.
        String[] words = new String[41 * 3];
        for (int len = 0; len <= 40; len++) {
            words[len * 3] = "a".repeat(len);
            words[len * 3 + 1] = "a".repeat(Math.max(0, len - 1)) + (len == 0 ? "" : "b");
            words[len * 3 + 2] = (len == 0 ? "" : "b") + "a".repeat(Math.max(0, len - 1));
        }
        int[] ids = new int[words.length];
        for (int i = 0; i < words.length; i++) {
            ids[i] = interner.intern(words[i]);
        }
        // The same strings again, as slices of one buffer with other bytes around them.
        byte[] buffer = ("#" + String.join("|", words) + "#").getBytes(StandardCharsets.UTF_8);
        int off = 1;
        for (int i = 0; i < words.length; i++) {
            int len = words[i].length();
            assertEquals(ids[i], interner.intern(buffer, off, len), words[i]);
            off += len + 1;
        }
        Set<String> distinct = new HashSet<>(java.util.List.of(words));
        assertEquals(distinct.size(), interner.size(), "the empty string is id 0, shared by the empty words");
        assertEquals(0, interner.intern(""));
        for (int i = 0; i < words.length; i++) {
            assertEquals(words[i], interner.strings()[ids[i]]);
        }
    }

    @Test
    void keepsEveryStringAcrossGrowth() {
        StringInterner interner = new StringInterner();
        for (int i = 0; i < 20_000; i++) {
            assertEquals(i + 1, interner.intern("com.example.Service" + i + ".method"));
        }
        for (int i = 0; i < 20_000; i++) {
            byte[] b = ("com.example.Service" + i + ".method").getBytes(StandardCharsets.UTF_8);
            assertEquals(i + 1, interner.intern(b, 0, b.length));
        }
        assertEquals(20_001, interner.size());
        assertNotEquals(interner.intern("com.example.Service1.method"), interner.intern("com.example.Service1.methoD"));
    }
}
