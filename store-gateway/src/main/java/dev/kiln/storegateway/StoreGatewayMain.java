package dev.kiln.storegateway;

import dev.kiln.common.process.Component;
import dev.kiln.common.process.KilnMain;

/** Entry point of {@code kiln-store-gateway.jar}: runs the store-gateway alone ({@code -target} may still name others on the class path). */
public final class StoreGatewayMain {
    private StoreGatewayMain() {}

    public static void main(String[] args) {
        KilnMain.run(args, Component.STORE_GATEWAY, "kiln-store-gateway");
    }
}
