package dev.kiln.server;

import dev.kiln.common.process.KilnMain;

/** {@code bin/kiln}: the launcher, which runs any {@code -target} set (default {@code all}, the single binary). */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        KilnMain.run(args, null, "kiln");
    }
}
