package dev.kiln.distributor;

import dev.kiln.common.config.ConfigKey;
import dev.kiln.common.process.Component;
import dev.kiln.common.process.InProcessIngester;
import dev.kiln.common.process.KilnModule;
import dev.kiln.common.process.ProcessContext;
import dev.kiln.common.ring.RingKeys;
import dev.kiln.distributor.ingest.JfrUploads;
import dev.kiln.distributor.otlp.OtlpConfig;
import dev.kiln.distributor.otlp.OtlpReceiver;
import dev.kiln.distributor.scrape.ScrapeConfig;
import dev.kiln.distributor.scrape.Scraper;
import java.util.ArrayList;
import java.util.List;

/**
 * The distributor as a process component: every ingest protocol (push.v1, /ingest, OTLP on the
 * HTTP port and its own gRPC port, scrape targets), sharding series over the ingester ring.
 */
public final class DistributorModule implements KilnModule {
    @Override
    public Component component() {
        return Component.DISTRIBUTOR;
    }

    @Override
    public List<ConfigKey> keys() {
        List<ConfigKey> keys = new ArrayList<>(DistributorConfig.KEYS);
        keys.addAll(OtlpConfig.KEYS);
        keys.addAll(ScrapeConfig.KEYS);
        return keys;
    }

    @Override
    public void init(ProcessContext process) {
        // Components initialise in Component order, so an ingester of this process is published by now.
        InProcessIngester inProcess = process.lookup(InProcessIngester.class).orElse(null);
        Distributor distributor = new Distributor(DistributorConfig.from(process.config()),
                new RingIngesterRouter(process.ring(RingKeys.INGESTER), process.peers(), inProcess),
                process.limits(), process.registry());
        JfrUploads jfr = new JfrUploads(process.defaultLimits().maxProfileSizeBytes());
        distributor.register(process.server(), process.ingestExecutor(), jfr);
        OtlpReceiver otlp = new OtlpReceiver(OtlpConfig.from(process.config()), distributor, process.server().config());
        otlp.register(process.server(), process.ingestExecutor());
        process.addService(distributor);
        process.addService(otlp);
        process.addService(new Scraper(ScrapeConfig.targets(process.config()), distributor));
        process.publish(Distributor.class, distributor);
        process.publish(JfrUploads.class, jfr);
        process.publish(OtlpReceiver.class, otlp);
    }
}
