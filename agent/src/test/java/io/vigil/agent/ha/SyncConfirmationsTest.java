package io.vigil.agent.ha;

import static io.vigil.agent.ha.Fixtures.lead;
import static io.vigil.agent.ha.Fixtures.member;
import static io.vigil.agent.ha.Fixtures.view;
import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.agent.pg.LocalPostgres;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Lsn;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SyncConfirmationsTest {
    private static final Optional<ClusterView> CLUSTER = Optional.of(view("me", 0, lead("me", 1), member("n2", 1),
            member("Node-3", 1)));

    private final SyncConfirmations confirmations = new SyncConfirmations();

    /** A primary whose WAL is written up to {@code writeLsn}, with standbys given as slot:syncState:flushLsn. */
    private static LocalPostgres primaryAt(long writeLsn, String... standbys) {
        List<LocalPostgres.ReplicationRow> rows = new ArrayList<>();
        for (String s : standbys) {
            String[] p = s.split(":");
            rows.add(new LocalPostgres.ReplicationRow("replicator", p[0], "127.0.0.1", "streaming", p[1], 1,
                    new Lsn(writeLsn), new Lsn(Long.parseLong(p[2])), new Lsn(Long.parseLong(p[2])), 0.0));
        }
        return new LocalPostgres(true, true, true, false, 1, new Lsn(writeLsn), null, null, false, null,
                Fixtures.SYSID, 150018, null, null, rows, List.of(), false, "n2");
    }

    @Test
    void aSynchronousStandbyIsConfirmedOnlyOnceItHasFlushedPastItsMark() {
        assertThat(confirmations.confirmed(CLUSTER, primaryAt(1000, "n2:sync:1000"))).as("first seen: marked at 1000")
                .isEmpty();
        assertThat(confirmations.confirmed(CLUSTER, primaryAt(1200, "n2:sync:900"))).isEmpty();
        assertThat(confirmations.confirmed(CLUSTER, primaryAt(1300, "n2:sync:1000"))).containsExactly("n2");
    }

    @Test
    void quorumCountsAsSynchronousAndSlotNamesMapBackToMembers() {
        confirmations.confirmed(CLUSTER, primaryAt(500, "node_3:quorum:400"));
        assertThat(confirmations.confirmed(CLUSTER, primaryAt(600, "node_3:quorum:550"))).containsExactly("Node-3");
    }

    @Test
    void asynchronousStandbysAndStrangersAreNeverConfirmed() {
        confirmations.confirmed(CLUSTER, primaryAt(100, "n2:async:100", "stranger:sync:100"));
        assertThat(confirmations.confirmed(CLUSTER, primaryAt(200, "n2:async:200", "stranger:sync:200"))).isEmpty();
    }

    @Test
    void aStandbyThatStopsBeingSynchronousMustProveItselfAgain() {
        confirmations.confirmed(CLUSTER, primaryAt(1000, "n2:sync:1000"));
        confirmations.confirmed(CLUSTER, primaryAt(2000, "n2:async:1500"));
        assertThat(confirmations.confirmed(CLUSTER, primaryAt(3000, "n2:sync:2500")))
                .as("a new mark at 3000").isEmpty();
        assertThat(confirmations.confirmed(CLUSTER, primaryAt(3100, "n2:sync:3000"))).containsExactly("n2");
    }

    @Test
    void withoutEtcdOrAsAReplicaNothingIsConfirmedAndTheMarksAreForgotten() {
        confirmations.confirmed(CLUSTER, primaryAt(1000, "n2:sync:1000"));
        assertThat(confirmations.confirmed(Optional.empty(), primaryAt(2000, "n2:sync:2000"))).isEmpty();
        assertThat(confirmations.confirmed(CLUSTER, primaryAt(2000, "n2:sync:2000"))).as("marked afresh").isEmpty();
        assertThat(confirmations.confirmed(CLUSTER, Fixtures.replica(1, 100, "me", true))).isEmpty();
    }
}
