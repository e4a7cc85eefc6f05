package io.vigil.agent.rest;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.agent.core.NodeRole;
import io.vigil.agent.ha.NodeStatus;
import io.vigil.agent.core.LocalPostgres;
import io.vigil.cluster.Lsn;
import io.vigil.config.Tags;
import io.vigil.config.ClusterSettings;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StatusJsonTest {

    private static NodeStatus replica(Instant lastReplayed, boolean failsafe) {
        LocalPostgres pg = new LocalPostgres(true, true, true, true, 1, null, new Lsn(100), new Lsn(90), true, "n1", "1",
                150018, Instant.parse("2026-11-26T15:46:56.830821Z"), 0L, List.of(), java.util.Map.of(), false, null, false,
                lastReplayed);
        return new NodeStatus("s", "n2", NodeRole.REPLICA, false, pg, Optional.empty(), ClusterSettings.defaults(),
                Tags.NONE, "", List.of(), null, 0, 0, 0, null, failsafe);
    }

    @Test
    void timesArePrintedAsPatroniPrintsThem() {
        assertThat(StatusJson.timestamp(Instant.parse("2026-11-26T15:46:51.623095Z")))
                .isEqualTo("2026-11-26 15:46:51.623095+00:00");
        assertThat(StatusJson.timestamp(Instant.parse("2026-11-26T15:46:51.25Z"))).isEqualTo("2026-11-26 15:46:51.250000+00:00");
        assertThat(StatusJson.timestamp(Instant.parse("2026-11-26T15:46:51Z"))).isEqualTo("2026-11-26 15:46:51+00:00");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aReplicaShowsItsStartAndLastReplayedTransactionAndFailsafeOnlyWhileActive() {
        Map<String, Object> idle = StatusJson.node(replica(null, false));
        assertThat(idle.get("postmaster_start_time")).isEqualTo("2026-11-26 15:46:56.830821+00:00");
        assertThat((Map<String, Object>) idle.get("xlog")).containsEntry("replayed_timestamp", null)
                .containsEntry("paused", false);
        assertThat(idle).doesNotContainKey("failsafe_mode_is_active");

        Map<String, Object> replaying = StatusJson.node(replica(Instant.parse("2026-11-26T15:47:01.000001Z"), true));
        assertThat((Map<String, Object>) replaying.get("xlog"))
                .containsEntry("replayed_timestamp", "2026-11-26 15:47:01.000001+00:00");
        assertThat(replaying).containsEntry("failsafe_mode_is_active", true);
    }

    @Test
    @SuppressWarnings("unchecked")
    void clusterShowsEachReplicasPositionsAndLagAsPatroni41Does() {
        io.vigil.cluster.Member leader = new io.vigil.cluster.Member("n1", "postgres://127.0.0.1:5432/postgres",
                "http://127.0.0.1:8008/patroni", io.vigil.cluster.MemberState.RUNNING, io.vigil.cluster.MemberRole.PRIMARY,
                "0.1.0", 5000L, null, null, 1L, Tags.NONE, null, null, null);
        io.vigil.cluster.Member replica = new io.vigil.cluster.Member("n2", "postgres://127.0.0.1:5433/postgres",
                "http://127.0.0.1:8009/patroni", io.vigil.cluster.MemberState.STREAMING, io.vigil.cluster.MemberRole.REPLICA,
                "0.1.0", 4000L, 4500L, null, 1L, Tags.NONE, "n1", null, null);
        Map<String, io.vigil.cluster.Member> members = new java.util.LinkedHashMap<>();
        members.put("n1", leader);
        members.put("n2", replica);
        io.vigil.cluster.ClusterView v = new io.vigil.cluster.ClusterView(Optional.of("1"),
                Optional.of(new io.vigil.cluster.LeaderKey("n1", 1, 1)), members, ClusterSettings.defaults(), 1, 5000,
                List.of(), 0, Optional.empty(), 1, io.vigil.cluster.SyncState.NONE);
        Map<String, Object> cluster = StatusJson.cluster(replica(null, false).withCluster(v));
        List<Map<String, Object>> rows = (List<Map<String, Object>>) cluster.get("members");
        assertThat(rows.get(0)).doesNotContainKey("lag").doesNotContainKey("receive_lsn");
        assertThat(rows.get(1)).containsEntry("lsn", "0/FA0").containsEntry("lag", 1000L)
                .containsEntry("receive_lsn", "0/1194").containsEntry("receive_lag", 500L)
                .containsEntry("replay_lsn", "unknown").containsEntry("replay_lag", "unknown");
    }
}
