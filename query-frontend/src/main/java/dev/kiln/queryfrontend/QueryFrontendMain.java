package dev.kiln.queryfrontend;

import dev.kiln.common.process.Component;
import dev.kiln.common.process.KilnMain;

/** Entry point of {@code kiln-query-frontend.jar}: runs the query-frontend alone ({@code -target} may still name others on the class path). */
public final class QueryFrontendMain {
    private QueryFrontendMain() {}

    public static void main(String[] args) {
        KilnMain.run(args, Component.QUERY_FRONTEND, "kiln-query-frontend");
    }
}
