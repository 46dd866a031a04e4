package dev.kiln.ingester;

import dev.kiln.common.process.Component;
import dev.kiln.common.process.KilnMain;

/** Entry point of {@code kiln-ingester.jar}: runs the ingester alone ({@code -target} may still name others on the class path). */
public final class IngesterMain {
    private IngesterMain() {}

    public static void main(String[] args) {
        KilnMain.run(args, Component.INGESTER, "kiln-ingester");
    }
}
