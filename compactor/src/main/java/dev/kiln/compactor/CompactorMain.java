package dev.kiln.compactor;

import dev.kiln.common.process.Component;
import dev.kiln.common.process.KilnMain;

/** Entry point of {@code kiln-compactor.jar}: runs the compactor alone ({@code -target} may still name others on the class path). */
public final class CompactorMain {
    private CompactorMain() {}

    public static void main(String[] args) {
        KilnMain.run(args, Component.COMPACTOR, "kiln-compactor");
    }
}
