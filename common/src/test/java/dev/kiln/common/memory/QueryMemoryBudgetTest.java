package dev.kiln.common.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.ErrorCode;
import dev.kiln.common.KilnException;
import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.ConfigLoader;
import dev.kiln.common.query.ProfileKeySet;
import dev.kiln.common.query.SeriesAccumulator;
import dev.kiln.common.model.Labels;
import dev.kiln.common.tree.CallTree;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

class QueryMemoryBudgetTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private static final long MIB = 1 << 20;

    @Test
    void reservationsShareTheProcessBudgetAndReleaseOnClose() {
        QueryMemoryBudget budget = new QueryMemoryBudget(10 * MIB, registry);
        QueryMemoryBudget.Reservation a = budget.open();
        QueryMemoryBudget.Reservation b = budget.open();
        a.grow(6 * MIB);
        b.grow(3 * MIB);
        assertEquals(9 * MIB, budget.usedBytes());
        assertEquals(9.0 * MIB, registry.get("kiln_query_memory_used_bytes").gauge().value());

        KilnException e = assertThrows(KilnException.class, () -> b.grow(2 * MIB));
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, e.code());
        assertEquals("query needs more memory to merge its results than query.memory_budget_bytes leaves: it holds 3.0 MiB and asked "
                + "for 2.0 MiB more, while running queries hold 9.0 MiB of 10.0 MiB; query a shorter range or a narrower selector, "
                + "or retry when fewer queries run", e.getMessage());
        assertEquals(9 * MIB, budget.usedBytes(), "a refused growth holds nothing");
        assertEquals(3 * MIB, b.heldBytes());
        assertEquals(1.0, registry.get("kiln_query_memory_refused_total").counter().count());

        a.close();
        assertEquals(3 * MIB, budget.usedBytes());
        b.grow(7 * MIB);
        assertEquals(10 * MIB, budget.usedBytes(), "exactly the budget fits");
        b.close();
        assertEquals(0, budget.usedBytes());
        b.grow(50);
        assertEquals(0, budget.usedBytes(), "growth after close (a straggling block of the query) is given back at once");
    }

    @Test
    void zeroMeansAQuarterOfTheHeapAndNegativeIsRefused() {
        ConfigLoader loader = new ConfigLoader(QueryMemoryBudget.KEYS);
        assertEquals(Runtime.getRuntime().maxMemory() / 4,
                QueryMemoryBudget.from(loader.load(new String[0], k -> null), registry).limitBytes());
        assertEquals(5_000_000, QueryMemoryBudget.from(loader.load(new String[] {"-query.memory-budget-bytes=5000000"}, k -> null),
                new SimpleMeterRegistry()).limitBytes());
        ConfigException e = assertThrows(ConfigException.class,
                () -> QueryMemoryBudget.from(loader.load(new String[] {"-query.memory-budget-bytes=-1"}, k -> null), new SimpleMeterRegistry()));
        assertTrue(e.getMessage().contains("query.memory_budget_bytes"), e.getMessage());
    }

    @Test
    void aTrackedCallTreeCountsItsGrowthAndStopsAtTheBudget() {
        QueryMemoryBudget budget = new QueryMemoryBudget(2_000_000, registry);
        try (QueryMemoryBudget.Reservation held = budget.open()) {
            CallTree tree = new CallTree();
            tree.track(held);
            long empty = held.heldBytes();
            assertTrue(empty > 0 && empty < 100_000, "an empty tree accounts its initial arrays: " + empty);
            for (int i = 0; i < 5_000; i++) {
                tree.addStack(new String[] {"main", "f" + i}, 1);
            }
            assertTrue(held.heldBytes() >= 5_000 * 44, "5,000 nodes and names are accounted: " + held.heldBytes());
            KilnException e = assertThrows(KilnException.class, () -> {
                for (int i = 0; i < 100_000; i++) {
                    tree.addStack(new String[] {"main", "g" + i}, 1);
                }
            });
            assertEquals(ErrorCode.RESOURCE_EXHAUSTED, e.code());
            assertTrue(budget.usedBytes() <= budget.limitBytes());
        }
        assertEquals(0, budget.usedBytes());
    }

    @Test
    void trackedSeriesAndKeySetsCountTheirGrowth() {
        QueryMemoryBudget budget = new QueryMemoryBudget(100_000, registry);
        try (QueryMemoryBudget.Reservation held = budget.open()) {
            SeriesAccumulator series = new SeriesAccumulator(0, 1000, List.of("pod"));
            series.track(held);
            Labels group = series.groupOf(Labels.of("pod", "a"));
            for (int i = 0; i < 100; i++) {
                series.add(group, i * 1000L, 1, 1);
                series.add(group, i * 1000L, 1, 1);
            }
            assertEquals(256 + 100 * 96, held.heldBytes(), "one group of 100 points, each counted once");
            ProfileKeySet keys = new ProfileKeySet();
            keys.track(held);
            assertThrows(KilnException.class, () -> {
                for (int i = 0; i < 10_000; i++) {
                    keys.add(1, i, 2);
                }
            });
        }
        assertEquals(0, budget.usedBytes());
    }
}
