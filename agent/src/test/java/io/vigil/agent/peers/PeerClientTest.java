package io.vigil.agent.peers;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.cluster.Lsn;
import io.vigil.cluster.PeerStatus;
import org.junit.jupiter.api.Test;

class PeerClientTest {
    @Test
    void runningReplicaReportsItsFurthestWal() {
        PeerStatus p = PeerClient.parse("n2", "{\"state\":\"running\",\"role\":\"replica\",\"timeline\":3,"
                + "\"xlog\":{\"received_location\":2000,\"replayed_location\":1500}}");
        assertThat(p).isEqualTo(new PeerStatus("n2", true, true, true, 3, new Lsn(2000), false, null));
    }

    @Test
    void stoppedPeerIsStartingWithItsCheckpointPosition() {
        PeerStatus p = PeerClient.parse("n2", "{\"state\":\"stopped\",\"role\":\"uninitialized\",\"timeline\":3,"
                + "\"checkpoint_location\":4096}");
        assertThat(p.reachable()).isTrue();
        assertThat(p.running()).isFalse();
        assertThat(p.starting()).isTrue();
        assertThat(p.checkpoint()).isEqualTo(new Lsn(4096));
    }

    @Test
    void agentBeforeItsFirstCycleCountsAsStarting() {
        PeerStatus p = PeerClient.parse("n2", "{\"error\":\"the agent has not finished its first cycle yet\"}");
        assertThat(p.reachable()).isTrue();
        assertThat(p.starting()).isTrue();
        assertThat(p.checkpoint()).isNull();
    }

    @Test
    void garbageIsUnreachable() {
        assertThat(PeerClient.parse("n2", "<html>").reachable()).isFalse();
    }
}
