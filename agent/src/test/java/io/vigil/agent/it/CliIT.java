package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.agent.it.VigilCommand.Run;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The vigil command against a running cluster: output parsed, actions checked by their effect, refusals exit 1. */
class CliIT extends ClusterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Run vigil(String... args) throws Exception {
        return VigilCommand.run(cluster, args);
    }

    @Test
    void listSwitchoverPauseEditConfigAndRefusals() throws Exception {
        cluster = Cluster.start(3, 6, 1, 2);
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(10));
        Cluster.Node candidate = cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();

        Run list = vigil("list", "--format", "json");
        assertThat(list.exit()).as(list.err()).isZero();
        JsonNode rows = JSON.readTree(list.out());
        assertThat(rows).hasSize(3);
        assertThat(rows.get(0).get("Member").asText()).isEqualTo(leader.name);
        assertThat(rows.get(0).get("Role").asText()).isEqualTo("Leader");
        for (int i = 1; i < 3; i++) {
            assertThat(rows.get(i).get("Role").asText()).isEqualTo("Replica");
            assertThat(rows.get(i).get("State").asText()).isEqualTo("streaming");
            assertThat(rows.get(i).get("Lag in MB").asLong()).isZero();
        }
        assertThat(vigil("list").out()).contains("+ Cluster: it (").contains("| " + leader.name + " ");
        assertThat(vigil("topology").out()).contains("+ " + candidate.name);
        assertThat(vigil("list", "--bogus").exit()).isEqualTo(2);

        Run unconfirmed = vigil("switchover", "--candidate", candidate.name);
        assertThat(unconfirmed.exit()).isEqualTo(1);
        assertThat(unconfirmed.err()).contains("add --force");
        Run ghost = vigil("switchover", "--candidate", "ghost", "--force");
        assertThat(ghost.exit()).isEqualTo(1);
        assertThat(ghost.err()).contains("412").contains("candidate does not exist");
        Run moved = vigil("switchover", "--candidate", candidate.name, "--force");
        assertThat(moved.exit()).as(moved.err()).isZero();
        assertThat(moved.out()).contains("Successfully switched over to \"" + candidate.name + "\"");
        assertThat(cluster.awaitPrimary(Duration.ofSeconds(20))).isEqualTo(candidate);
        Run history = vigil("history", "--format", "json");
        assertThat(JSON.readTree(history.out()).get(0).get(4).asText()).isEqualTo(candidate.name);

        Run noCandidate = vigil("failover", "--force");
        assertThat(noCandidate.exit()).isEqualTo(1);
        assertThat(noCandidate.err()).contains("failover needs --candidate");
        Run reinitLeader = vigil("reinit", candidate.name, "--force");
        assertThat(reinitLeader.exit()).isEqualTo(1);
        assertThat(reinitLeader.err()).contains("I am the leader");

        assertThat(vigil("pause").exit()).isZero();
        Awaitility.await("pause shown").atMost(Duration.ofSeconds(10)).until(() -> vigil("list").out().contains("Maintenance mode: on"));
        assertThat(vigil("resume").exit()).isZero();

        Run tooSlow = vigil("edit-config", "--set", "loop_wait=50", "--force");
        assertThat(tooSlow.exit()).isEqualTo(1);
        assertThat(tooSlow.err()).contains("must not exceed ttl");
        Run edited = vigil("edit-config", "--set", "postgresql.parameters.work_mem=6MB", "--force");
        assertThat(edited.exit()).as(edited.err()).isZero();
        assertThat(edited.out()).contains("+    work_mem: 6MB");
        assertThat(vigil("show-config").out()).contains("work_mem: 6MB");
        Awaitility.await("work_mem reloaded").atMost(Duration.ofSeconds(15)).ignoreExceptions()
                .until(() -> leader.queryStrings("SHOW work_mem").get(0).equals("6MB"));

        String startedBefore = leader.queryStrings("SELECT pg_postmaster_start_time()::text").get(0);
        Run restart = vigil("restart", leader.name, "--force");
        assertThat(restart.exit()).as(restart.err()).isZero();
        assertThat(leader.queryStrings("SELECT pg_postmaster_start_time()::text").get(0)).isNotEqualTo(startedBefore);
    }

    @Test
    void drillPassesOnAHealthyClusterAndRefusesWhileAReplicaIsDown() throws Exception {
        cluster = Cluster.start(3, 6, 1, 2);
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(10));
        Run drill = vigil("drill", "--force");
        System.out.println(drill.out());
        assertThat(drill.exit()).as(drill.out() + drill.err()).isZero();
        assertThat(drill.out()).contains("| switchover ").contains("| switchback ").contains("lost: 0").contains("drill passed");
        assertThat(cluster.awaitPrimary(Duration.ofSeconds(20))).isEqualTo(leader);

        Cluster.Node replica = cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        replica.killAgent();
        replica.killPostmaster();
        Awaitility.await("the stopped replica drops out of streaming").atMost(Duration.ofSeconds(30))
                .until(() -> !vigil("list", "--format", "json").out().contains("\"Member\":\"" + replica.name
                        + "\",\"Host\":\"127.0.0.1:" + replica.pgPort + "\",\"Role\":\"Replica\",\"State\":\"streaming\""));
        Run refused = vigil("drill", "--force");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("drill refused, nothing was done");
        assertThat(cluster.primaries()).containsExactly(leader);
    }
}
