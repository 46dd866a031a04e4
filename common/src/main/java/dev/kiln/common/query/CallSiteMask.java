package dev.kiln.common.query;

import dev.kiln.common.symbols.Symbols;

/**
 * Which stack nodes lie at or below a call site (a root-first prefix of frame names), for
 * {@code stack_trace_selector}: only samples whose stack starts with the call site are selected.
 */
public final class CallSiteMask {
    private CallSiteMask() {}

    /** {@code mask[n]} is true when node {@code n}'s root-first frames start with {@code callSite}. */
    public static boolean[] compute(Symbols s, String[] callSite) {
        int n = s.stackNodeCount;
        int[] matched = new int[n]; // frames of the call site matched so far; -1 = diverged
        boolean[] mask = new boolean[n];
        int want = callSite.length;
        for (int i = 1; i < n; i++) {
            int m = matched[s.stackParent[i]];
            if (m >= 0 && m < want) {
                int loc = s.stackLocation[i];
                int lines = s.locLineCount[loc];
                if (lines == 0) {
                    m = s.unsymbolizedName(loc).equals(callSite[m]) ? m + 1 : -1;
                } else {
                    int start = s.locLineStart[loc];
                    for (int k = start + lines - 1; k >= start && m >= 0 && m < want; k--) {
                        m = s.functionName(s.lineFunction[k]).equals(callSite[m]) ? m + 1 : -1;
                    }
                }
            }
            matched[i] = m;
            mask[i] = m == want;
        }
        return mask;
    }
}
