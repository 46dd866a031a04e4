package dev.kiln.distributor;

import dev.kiln.common.process.Component;
import dev.kiln.common.process.KilnMain;

/** Entry point of {@code kiln-distributor.jar}: runs the distributor alone ({@code -target} may still name others on the class path). */
public final class DistributorMain {
    private DistributorMain() {}

    public static void main(String[] args) {
        KilnMain.run(args, Component.DISTRIBUTOR, "kiln-distributor");
    }
}
