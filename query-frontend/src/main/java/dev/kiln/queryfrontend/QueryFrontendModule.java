package dev.kiln.queryfrontend;

import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.process.Component;
import dev.kiln.common.process.KilnModule;
import dev.kiln.common.process.ProcessContext;
import io.grpc.Channel;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The query-frontend as a process component: the public query API and the web UI. */
public final class QueryFrontendModule implements KilnModule {
    @Override
    public Component component() {
        return Component.QUERY_FRONTEND;
    }

    @Override
    public List<ConfigKey> keys() {
        return QueryFrontendConfig.KEYS;
    }

    @Override
    public void init(ProcessContext process) {
        // The frontend's handlers block until the queriers' block scans (on the query pool) finish;
        // on a shared fixed pool two concurrent renders held every thread and waited forever.
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        process.closeOnExit(executor::shutdownNow);
        QueryFrontendConfig config = QueryFrontendConfig.from(process.config());
        List<Channel> queriers = config.querierAddresses().isEmpty()
                ? List.of(process.server().inProcessChannel())
                : config.querierAddresses().stream().map(process.peers()::channel).toList();
        QueryFrontend frontend = new QueryFrontend(config, queriers, process.limits(), process.registry(), executor,
                process.queryMemory());
        frontend.register(process.server());
        process.addService(frontend);
    }
}
