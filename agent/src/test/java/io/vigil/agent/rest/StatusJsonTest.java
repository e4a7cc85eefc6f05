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
                150018, Instant.parse("2026-11-26T15:46:56.830821Z"), 0L, List.of(), List.of(), false, null, false,
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
}
