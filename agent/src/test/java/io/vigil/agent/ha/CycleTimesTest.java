package io.vigil.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CycleTimesTest {
    private static final long MS = 1_000_000;

    @Test
    void namesEachPartAndEachActionOfASlowCycle() {
        CycleTimes t = new CycleTimes();
        t.etcd(120 * MS);
        t.postgres(5_900 * MS);
        t.observe(6_100 * MS);
        t.action("RenewLeader", 30 * MS);
        t.action("SyncSlots", 240 * MS);

        assertEquals("HA cycle took 6.39 s, more than loop_wait 2 s: etcd 0.12 s, Postgres 5.90 s,"
                        + " peers/failsafe/sync 0.08 s, actions 0.27 s [RenewLeader 0.03 s, SyncSlots 0.24 s], other 0.02 s",
                t.describe(Duration.ofMillis(6_390), Duration.ofSeconds(2)));
    }

    @Test
    void aCycleWithoutActionsOrEtcdStillAddsUp() {
        CycleTimes t = new CycleTimes();
        t.postgres(3_000 * MS);
        t.observe(3_000 * MS);

        assertEquals("HA cycle took 3.00 s, more than loop_wait 1 s: etcd 0.00 s, Postgres 3.00 s,"
                        + " peers/failsafe/sync 0.00 s, actions 0.00 s, other 0.00 s",
                t.describe(Duration.ofMillis(3_000), Duration.ofSeconds(1)));
    }
}
