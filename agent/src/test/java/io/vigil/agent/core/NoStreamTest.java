package io.vigil.agent.core;

import static io.vigil.agent.core.Fixtures.SEC;
import static io.vigil.agent.core.Fixtures.lead;
import static io.vigil.agent.core.Fixtures.member;
import static io.vigil.agent.core.Fixtures.obs;
import static io.vigil.agent.core.Fixtures.view;
import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.cluster.Lsn;
import io.vigil.config.Tags;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The nostream tag: a replica that replays from the WAL archive only. */
class NoStreamTest {
    private static final Tags NO_STREAM = new Tags(false, false, false, false, null, null, true);

    @Test
    void theLeaderKeepsNoSlotForANostreamMemberAndDropsOneItHad() {
        LocalPostgres p = Fixtures.primary(1, 500);
        LocalPostgres pg = new LocalPostgres(p.hasData(), p.running(), p.accepting(), p.inRecovery(), p.timeline(),
                p.writeLsn(), p.receiveLsn(), p.replayLsn(), p.streaming(), p.upstream(), p.systemId(), p.serverVersion(),
                p.postmasterStartTime(), p.replayLagSeconds(), p.replication(), Map.of("n2", new Lsn(0), "n3", new Lsn(0)),
                p.pendingRestart(), p.syncStandbyNames());
        Observation o = obs(view("me", 500, lead("me", 1), member("n2", 1), member("n3", 1, 100, NO_STREAM)), pg);
        assertThat(Decider.decide(o).actions()).contains(new Action.SyncSlots(Set.of("n2"), Set.of("n2", "n3")));
    }

    @Test
    void aNostreamReplicaOnAnOlderTimelineWaitsForTheArchiveInsteadOfBeingRewound() {
        Observation streaming = Fixtures.notStreamingSince(
                obs(view("n1", 0, lead("n1", 3)), Fixtures.replica(2, 5, "n1", false)), 60 * SEC);
        assertThat(Decider.decide(streaming).actions()).containsExactly(new Action.Rewind(lead("n1", 3)));

        Observation archive = Fixtures.withTags(streaming, NO_STREAM);
        Plan p = Decider.decide(archive);
        assertThat(p.actions()).isEmpty();
        assertThat(p.reason()).contains("from the WAL archive (tagged nostream)");
    }
}
