package dev.kiln.querier;

import dev.kiln.common.process.Component;
import dev.kiln.common.process.KilnMain;

/** Entry point of {@code kiln-querier.jar}: runs the querier alone ({@code -target} may still name others on the class path). */
public final class QuerierMain {
    private QuerierMain() {}

    public static void main(String[] args) {
        KilnMain.run(args, Component.QUERIER, "kiln-querier");
    }
}
