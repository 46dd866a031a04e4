package dev.kiln.queryfrontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.ErrorCode;
import dev.kiln.common.KilnException;
import dev.kiln.common.limits.Limits;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class QueryAdmissionTest {
    static Limits concurrent(int n) {
        Limits d = Limits.DEFAULTS;
        return new Limits(d.ingestionRateMb(), d.ingestionBurstSizeMb(), d.maxLabelNameLength(), d.maxLabelValueLength(),
                d.maxLabelNamesPerSeries(), d.maxProfileSizeBytes(), d.maxProfileStacktraceSamples(), d.maxProfileStacktraceDepth(),
                d.maxProfileSymbolValueLength(), d.rejectOlderThan(), d.rejectNewerThan(), d.maxGlobalSeriesPerTenant(),
                d.maxQueryLength(), d.maxQueryLookback(), d.maxFlameGraphNodesDefault(), d.maxFlameGraphNodesMax(),
                n, d.splitQueriesByInterval(), d.retentionPeriod());
    }

    @Test
    void aTenantRunsAtMostItsLimitOthersWaitAndTheQueueIsBounded() throws Exception {
        QueryAdmission a = new QueryAdmission(t -> concurrent(2), 1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(2);
        AtomicInteger maxSeen = new AtomicInteger();
        Runnable query = () -> a.run("t", () -> {
            maxSeen.accumulateAndGet(a.running("t"), Math::max);
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        Thread q1 = Thread.ofVirtual().start(query);
        Thread q2 = Thread.ofVirtual().start(query);
        started.await();
        Thread q3 = Thread.ofVirtual().start(query); // waits: two are running
        while (a.waiting("t") == 0) {
            Thread.onSpinWait();
        }
        KilnException e = assertThrows(KilnException.class, () -> a.run("t", () -> 1));
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, e.code());
        assertTrue(e.getMessage().contains("limits.max_concurrent_queries"), e.getMessage());
        assertEquals(7, a.run("other", () -> 7), "other tenants are not affected");
        release.countDown();
        q1.join();
        q2.join();
        q3.join();
        assertEquals(2, maxSeen.get());
        assertEquals(0, a.running("t"));
    }
}
