package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Debian's patronictl (Patroni 3.0.2, installed by deploy/local/install-deps.sh) against a real Vigil
 * cluster: each command an operator keeps in a runbook, checked by its effect on the cluster.
 */
class PatronictlIT extends ClusterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Path config;

    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    private Run patronictl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("patronictl", "-c", config.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("PGPASSWORD", Cluster.PASSWORD);
        pb.environment().put("PAGER", "cat");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    private Run ok(String... args) throws Exception {
        Run r = patronictl(args);
        assertThat(r.exit()).as("patronictl %s\n%s", String.join(" ", args), r).isZero();
        assertThat(r.out()).as("patronictl %s\n%s", String.join(" ", args), r)
                .doesNotContain("Failed").doesNotContain("failed, details");   // patronictl exits 0 on both
        return r;
    }

    private void writeConfig() throws Exception {
        config = cluster.root.resolve("patronictl.yml");
        Files.writeString(config, String.join("\n",
                "scope: it",
                "namespace: /vigil/",
                "etcd3:",
                "  hosts: [" + String.join(", ", cluster.etcd.endpoints()).replace("http://", "") + "]",
                "restapi:",
                "  authentication: {username: vigil, password: " + Cluster.REST_PASSWORD + "}",
                ""));
    }

    private static String startTime(Cluster.Node n) throws Exception {
        return n.queryStrings("SELECT pg_postmaster_start_time()::text").get(0);
    }

    private JsonNode members() throws Exception {
        return JSON.readTree(ok("list", "-f", "json").out());
    }

    @Test
    void everyCommandOfARunbookActsOnAVigilCluster() throws Exception {
        cluster = Cluster.start(3, 10, 1, 3);
        writeConfig();
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(10));
        List<Cluster.Node> replicas = cluster.nodes.stream().filter(n -> n != leader).toList();

        // list, topology, version, dsn, history, show-config
        JsonNode rows = members();
        assertThat(rows).hasSize(3);
        for (JsonNode row : rows) {
            boolean isLeader = row.get("Member").asText().equals(leader.name);
            assertThat(row.get("Role").asText()).isEqualTo(isLeader ? "Leader" : "Replica");
            if (!isLeader) assertThat(row.get("Lag in MB").asLong()).isZero();
        }
        assertThat(ok("topology").out()).contains("| " + leader.name + " ").contains("| + " + replicas.get(0).name);
        Run version = ok("version", "it");
        for (Cluster.Node n : cluster.nodes) assertThat(version.out()).containsPattern(n.name + ": Patroni \\S+ PostgreSQL 15");
        assertThat(ok("dsn", "it").out().trim()).isEqualTo("host=" + leader.host + " port=" + leader.pgPort);
        assertThat(ok("show-config", "it").out()).contains("ttl: 10").contains("loop_wait: 1");

        // query, on the leader and on a replica
        assertThat(ok("query", "it", "-U", "postgres", "-c", "SELECT pg_is_in_recovery()").out()).contains("False");
        assertThat(ok("query", "it", "-U", "postgres", "-r", "replica", "-c", "SELECT pg_is_in_recovery()").out())
                .contains("True");

        // edit-config: --pg and --set reach every node; a value Postgres refuses changes nothing on it
        ok("edit-config", "it", "--pg", "work_mem=7MB", "--set", "postgresql.parameters.maintenance_work_mem=70MB",
                "--force");
        for (Cluster.Node n : cluster.nodes) {
            Awaitility.await(n.name + " reloads work_mem").atMost(Duration.ofSeconds(20)).ignoreExceptions()
                    .until(() -> n.queryStrings("SHOW work_mem").get(0).equals("7MB")
                            && n.queryStrings("SHOW maintenance_work_mem").get(0).equals("70MB"));
        }
        ok("edit-config", "it", "--pg", "max_worker_processes=lots", "--force");
        String leaderStarted = startTime(leader);
        assertThat(ok("restart", "it", leader.name, "--force").out()).contains("Success: restart on member " + leader.name);
        assertThat(startTime(leader)).as("restarted, with the refused value left out").isNotEqualTo(leaderStarted);
        assertThat(leader.queryStrings("SHOW max_worker_processes").get(0)).isEqualTo("8");
        ok("edit-config", "it", "--pg", "max_worker_processes=null", "--force");

        // patronictl writes the config key itself: settings that break a rule are refused and reported
        ok("edit-config", "it", "--set", "loop_wait=50", "--force");
        Awaitility.await("the refusal shown").atMost(Duration.ofSeconds(10)).until(() ->
                JSON.readTree(Cluster.httpGet(leader.api("/patroni"))).path("vigil").path("config_refused").asText().contains("loop_wait"));
        assertThat(JSON.readTree(Cluster.httpGet(leader.api("/config"))).path("loop_wait").asInt()).isEqualTo(1);
        ok("edit-config", "it", "--set", "loop_wait=1", "--force");
        Awaitility.await("the refusal gone").atMost(Duration.ofSeconds(10)).until(() ->
                JSON.readTree(Cluster.httpGet(leader.api("/patroni"))).path("vigil").path("config_refused").isMissingNode());

        // restart --pending --role replica: only the replicas, and only once a restart is pending
        ok("edit-config", "it", "--pg", "max_locks_per_transaction=80", "--force");
        for (Cluster.Node n : cluster.nodes) {
            Awaitility.await(n.name + " shows a pending restart").atMost(Duration.ofSeconds(20)).until(() ->
                    rowOf(members(), n.name).path("Pending restart").asText().equals("*"));
        }
        leaderStarted = startTime(leader);
        ok("restart", "it", "--role", "replica", "--pending", "--force");
        for (Cluster.Node r : replicas) {
            Awaitility.await(r.name + " restarted").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> r.queryStrings("SHOW max_locks_per_transaction").get(0).equals("80"));
        }
        assertThat(startTime(leader)).as("the leader is not a replica").isEqualTo(leaderStarted);
        assertThat(leader.queryStrings("SHOW max_locks_per_transaction").get(0)).isEqualTo("64");

        // a scheduled restart shows in list, and flush drops it
        String inAnHour = OffsetDateTime.now(ZoneOffset.UTC).plusHours(1).withNano(0).toString();
        ok("restart", "it", replicas.get(0).name, "--scheduled", inAnHour, "--force");
        Awaitility.await("scheduled restart in the member key").atMost(Duration.ofSeconds(10))
                .until(() -> !rowOf(members(), replicas.get(0).name).path("Scheduled restart").asText().isEmpty());
        assertThat(ok("flush", "it", replicas.get(0).name, "restart", "--force").out()).contains("Success");
        Awaitility.await("scheduled restart gone").atMost(Duration.ofSeconds(10))
                .until(() -> rowOf(members(), replicas.get(0).name).path("Scheduled restart").asText().isEmpty());

        // reload, pause and resume with --wait
        Run reload = ok("reload", "it", "--force");
        for (Cluster.Node n : cluster.nodes) assertThat(reload.out()).containsPattern("(No changes to apply on|Reload request received for) member " + n.name);
        Run paused = ok("pause", "it", "--wait");
        assertThat(paused.out()).contains("Success: cluster management is paused");
        assertThat(ok("list").out()).contains("Maintenance mode: on");
        // what --wait waits for: every member key saying pause (patronictl cannot tell a key never re-put)
        assertThat(memberPauses()).as("pause in each member key").containsOnly(Boolean.TRUE).hasSize(3);
        assertThat(ok("resume", "it", "--wait").out()).contains("Success: cluster management is resumed");
        assertThat(ok("list").out()).doesNotContain("Maintenance mode");
        assertThat(memberPauses()).as("no pause left in the member keys").containsOnly(Boolean.FALSE);

        // switchover: scheduled then flushed, then at once; failover to a named candidate
        Cluster.Node candidate = replicas.get(0);
        ok("switchover", "it", "--leader", leader.name, "--candidate", candidate.name, "--scheduled", inAnHour, "--force");
        assertThat(ok("list").out()).contains("Switchover scheduled at:");
        assertThat(ok("flush", "it", "switchover").out()).contains("Success");
        assertThat(ok("list").out()).doesNotContain("Switchover scheduled");
        assertThat(cluster.awaitPrimary(Duration.ofSeconds(5))).isEqualTo(leader);

        ok("switchover", "it", "--leader", leader.name, "--candidate", candidate.name, "--force");
        assertThat(cluster.awaitPrimary(Duration.ofSeconds(30))).isEqualTo(candidate);
        cluster.awaitStreamingReplicas(candidate, 2, Duration.ofSeconds(60));
        JsonNode history = JSON.readTree(ok("history", "it", "-f", "json").out());
        assertThat(history.get(history.size() - 1).get("New Leader").asText()).isEqualTo(candidate.name);

        ok("failover", "it", "--candidate", leader.name, "--force");
        assertThat(cluster.awaitPrimary(Duration.ofSeconds(30))).isEqualTo(leader);
        cluster.awaitStreamingReplicas(leader, 2, Duration.ofSeconds(60));

        // a scheduled switchover happens at its time, not before
        String soon = OffsetDateTime.now(ZoneOffset.UTC).plusSeconds(5).withNano(0).toString();
        ok("switchover", "it", "--leader", leader.name, "--candidate", candidate.name, "--scheduled", soon, "--force");
        assertThat(cluster.primaries()).as("not before its time").containsExactly(leader);
        Awaitility.await("the switchover scheduled for " + soon).atMost(Duration.ofSeconds(40))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> cluster.primaries().equals(List.of(candidate))
                        && Cluster.httpStatus("GET", candidate.api("/primary")) == 200);
        cluster.awaitStreamingReplicas(candidate, 2, Duration.ofSeconds(60));
        ok("switchover", "it", "--leader", candidate.name, "--candidate", leader.name, "--force");
        assertThat(cluster.awaitPrimary(Duration.ofSeconds(30))).isEqualTo(leader);
        cluster.awaitStreamingReplicas(leader, 2, Duration.ofSeconds(60));

        // reinit: the replica is cloned afresh and streams again
        Cluster.Node reinit = replicas.get(1);
        leader.execute("CREATE TABLE IF NOT EXISTS ctl_marker(x int)");
        leader.execute("INSERT INTO ctl_marker VALUES (42)");
        String before = startTime(reinit);
        ok("reinit", "it", reinit.name, "--force", "--wait");
        Awaitility.await(reinit.name + " cloned and streaming").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> !startTime(reinit).equals(before)
                        && reinit.queryLong("SELECT count(*) FROM ctl_marker WHERE x = 42") == 1);
        cluster.awaitStreamingReplicas(leader, 2, Duration.ofSeconds(60));
    }

    /** Each member key's pause mark, read from etcd as patronictl reads it. */
    private List<Boolean> memberPauses() throws Exception {
        try (io.vigil.store.EtcdStore store = io.vigil.store.EtcdStore.connect(cluster.etcd.endpoints(), "/vigil/it/",
                Duration.ofSeconds(5))) {
            return store.read().members().values().stream().map(m -> Boolean.TRUE.equals(m.pause())).toList();
        }
    }

    private static JsonNode rowOf(JsonNode rows, String member) {
        for (JsonNode row : rows) if (row.get("Member").asText().equals(member)) return row;
        throw new AssertionError("no member " + member + " in " + rows);
    }
}
