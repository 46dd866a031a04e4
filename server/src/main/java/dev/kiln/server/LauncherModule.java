package dev.kiln.server;

import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.process.Component;
import dev.kiln.common.process.KilnModule;
import dev.kiln.common.process.ProcessContext;
import dev.kiln.distributor.Distributor;
import dev.kiln.distributor.ingest.JfrUploads;
import dev.kiln.server.selfprofile.SelfProfiler;
import java.util.List;

/** What only the launcher adds to a process running the distributor: self-profiling. */
public final class LauncherModule implements KilnModule {
    @Override
    public Component component() {
        return Component.LAUNCHER;
    }

    @Override
    public List<ConfigKey> keys() {
        return SelfProfiler.KEYS;
    }

    @Override
    public void init(ProcessContext process) {
        SelfProfiler.Settings self = SelfProfiler.Settings.from(process.config());
        if (self.enabled()) {
            process.addService(new SelfProfiler(self, process.lookup(Distributor.class).orElseThrow(),
                    process.lookup(JfrUploads.class).orElseThrow()));
        }
    }
}
