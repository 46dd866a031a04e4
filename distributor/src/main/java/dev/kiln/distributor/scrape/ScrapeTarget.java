package dev.kiln.distributor.scrape;

import dev.kiln.common.model.Labels;
import java.net.URI;
import java.time.Duration;

/**
 * One profile endpoint of one target: where to fetch, how often, the time limit of one fetch, and
 * the tenant and series labels the profiles are stored under.
 */
public record ScrapeTarget(String job, String tenant, URI url, Labels labels, Duration interval, Duration timeout) {}
