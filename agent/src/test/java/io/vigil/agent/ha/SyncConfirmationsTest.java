package io.vigil.agent.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.agent.pg.ReplicationWatch;
import io.vigil.cluster.Lsn;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SyncConfirmationsTest {
    private static final Map<String, String> MEMBERS = Map.of("n2", "n2", "node_3", "Node-3");
    private static final long SETTLED = SyncConfirmations.SETTLE_NANOS;

    private final SyncConfirmations confirmations = new SyncConfirmations();

    /** A look at a primary written up to {@code writeLsn}, with standbys given as slot:syncState:flushLsn. */
    private static ReplicationWatch.Look look(long writeLsn, boolean checkpointerIdle, String names, String... standbys) {
        List<ReplicationWatch.Standby> rows = new ArrayList<>();
        for (String s : standbys) {
            String[] p = s.split(":");
            rows.add(new ReplicationWatch.Standby(p[0], "streaming", p[1], new Lsn(Long.parseLong(p[2]))));
        }
        return new ReplicationWatch.Look(rows, new Lsn(writeLsn), checkpointerIdle, names);
    }

    private static ReplicationWatch.Look look(long writeLsn, String... standbys) {
        return look(writeLsn, true, "FIRST 1 (\"n2\")", standbys);
    }

    @Test
    void aStandbyIsMarkedAfterTheSettleTimeAndConfirmedOnceFlushedPastTheMark() {
        assertThat(confirmations.update(look(1000, "n2:sync:1000"), MEMBERS, 0)).as("first sight").isEmpty();
        assertThat(confirmations.update(look(1100, "n2:sync:1100"), MEMBERS, SETTLED - 1))
                .as("too soon for a mark").isEmpty();
        assertThat(confirmations.update(look(1200, "n2:sync:1100"), MEMBERS, SETTLED)).as("marked at 1200").isEmpty();
        assertThat(confirmations.update(look(1300, "n2:sync:1150"), MEMBERS, SETTLED + 1)).isEmpty();
        assertThat(confirmations.update(look(1300, "n2:sync:1200"), MEMBERS, SETTLED + 2)).containsExactly("n2");
    }

    @Test
    void noMarkWhileTheCheckpointerMayNotHaveTakenTheChange() {
        confirmations.update(look(1000, "n2:sync:1000"), MEMBERS, 0);
        confirmations.update(look(1100, false, "FIRST 1 (\"n2\")", "n2:sync:1100"), MEMBERS, SETTLED);
        assertThat(confirmations.update(look(1200, false, "FIRST 1 (\"n2\")", "n2:sync:5000"), MEMBERS, 2 * SETTLED))
                .as("checkpointer busy in an fsync: no mark yet").isEmpty();
        confirmations.update(look(1300, "n2:sync:1200"), MEMBERS, 3 * SETTLED);
        assertThat(confirmations.update(look(1300, "n2:sync:1300"), MEMBERS, 4 * SETTLED)).containsExactly("n2");
    }

    @Test
    void quorumCountsAsSynchronousAndSlotNamesMapBackToMembers() {
        confirmations.update(look(500, "node_3:quorum:400"), MEMBERS, 0);
        confirmations.update(look(600, "node_3:quorum:500"), MEMBERS, SETTLED);
        assertThat(confirmations.update(look(700, "node_3:quorum:600"), MEMBERS, SETTLED + 1)).containsExactly("Node-3");
    }

    @Test
    void asynchronousStandbysAndStrangersAreNeverConfirmed() {
        for (int i = 0; i < 4; i++) {
            assertThat(confirmations.update(look(100, "n2:async:100", "stranger:sync:100"), MEMBERS, i * SETTLED))
                    .isEmpty();
        }
    }

    @Test
    void aStandbyThatStopsBeingSynchronousMustProveItselfAgain() {
        confirmations.update(look(1000, "n2:sync:1000"), MEMBERS, 0);
        confirmations.update(look(1000, "n2:sync:1000"), MEMBERS, SETTLED);
        assertThat(confirmations.update(look(1000, "n2:sync:1000"), MEMBERS, SETTLED + 1)).containsExactly("n2");
        confirmations.update(look(2000, "n2:async:1500"), MEMBERS, SETTLED + 2);
        assertThat(confirmations.update(look(3000, "n2:sync:3000"), MEMBERS, SETTLED + 3)).as("a first sight again")
                .isEmpty();
    }

    @Test
    void newSynchronousStandbyNamesStartEveryStandbyOver() {
        confirmations.update(look(1000, "n2:sync:1000"), MEMBERS, 0);
        confirmations.update(look(1000, "n2:sync:1000"), MEMBERS, SETTLED);
        assertThat(confirmations.update(look(1000, "n2:sync:1000"), MEMBERS, SETTLED + 1)).containsExactly("n2");
        ReplicationWatch.Look widened = look(5000, true, "FIRST 2 (\"n2\", \"node_3\")", "n2:sync:4000");
        assertThat(confirmations.update(widened, MEMBERS, SETTLED + 2)).as("the old mark no longer counts").isEmpty();
    }

    @Test
    void resetForgetsMarks() {
        confirmations.update(look(1000, "n2:sync:1000"), MEMBERS, 0);
        confirmations.update(look(1000, "n2:sync:1000"), MEMBERS, SETTLED);
        confirmations.reset();
        assertThat(confirmations.update(look(1000, "n2:sync:1000"), MEMBERS, SETTLED + 1)).isEmpty();
    }
}
