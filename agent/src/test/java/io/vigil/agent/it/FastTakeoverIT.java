package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Synchronous mode's fast takeover on real agents: a dead leader node is taken over by its named
 * standby on the members' evidence, before its lease expires, and nothing acknowledged is lost; a leader
 * that only lost its agent, or one replica's link, is not taken over that way.
 */
class FastTakeoverIT extends ClusterTest {

    /** How this node's promotions so far took the key: vigil_takeovers_total for {@code reason}. */
    private static double takeovers(Cluster.Node n, String reason) {
        for (String line : Cluster.httpGet(n.api("/metrics")).split("\n")) {
            if (line.startsWith("vigil_takeovers_total{") && line.contains("reason=\"" + reason + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("vigil_takeovers_total{reason=\"" + reason + "\"} not in " + n.name + "'s /metrics");
    }

    /** Acknowledged ids the primary {@code now} does not have (acknowledgements read first, then the rows). */
    private static long lost(Writer writer, Cluster.Node now) throws Exception {
        List<Long> acked = writer.acked.stream().map(Writer.Ack::id).toList();
        Set<Long> rows = new HashSet<>();
        for (String id : now.queryStrings("SELECT id FROM acked")) rows.add(Long.parseLong(id));
        return acked.stream().filter(id -> !rows.contains(id)).count();
    }

    @Test
    void aDeadLeaderNodeIsTakenOverByItsSynchronousStandbyBeforeTheLeaseExpiresLosingNothing() throws Exception {
        // ttl 30: the leader key would stand for its whole lease after the node dies
        cluster = Cluster.startWith(3, 30, 10, 10, "synchronous_mode: true", Map.of());
        Cluster.Node old = cluster.awaitPrimary(Duration.ofSeconds(30));
        old.execute("CREATE TABLE acked (id bigint PRIMARY KEY)");
        Cluster.Node standby = cluster.node(SyncModeIT.awaitSyncStandby(old));
        try (Writer writer = new Writer(cluster.primaryUrl(), 10, 300_000).start()) {
            Awaitility.await("writes flowing").atMost(Duration.ofSeconds(30)).until(() -> writer.acked.size() > 50);
            old.killAgent();
            old.killPostmaster();
            Cluster.Node now = Awaitility.await("a new primary").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> cluster.primaries(), p -> p.size() == 1 && p.get(0) != old).get(0);
            assertThat(now).as("the synchronous standby takes over").isSameAs(standby);
            int ackedAtFailover = writer.acked.size();
            Awaitility.await("writes resume").atMost(Duration.ofSeconds(30)).until(() -> writer.acked.size() > ackedAtFailover + 20);
            assertThat(lost(writer, now)).as("acknowledged commits missing on the new primary").isZero();
            String history = Cluster.httpGet(now.api("/history"));
            System.out.println("fast takeover: " + history);
            assertThat(history).contains("fast takeover: ").contains("saw " + old.name + " unreachable");
            assertThat(takeovers(now, "fast")).isEqualTo(1.0);
            assertThat(takeovers(now, "lease")).isEqualTo(0.0);
        }
        old.startAgent();
        Awaitility.await(old.name + " rejoins as a replica").atMost(Duration.ofSeconds(90)).ignoreExceptions()
                .pollInterval(Duration.ofMillis(500)).until(() -> Boolean.TRUE.equals(old.inRecovery()));
        assertThat(cluster.primaries()).containsExactly(standby);
    }

    /** The agent, its children (the fence process) and the postmaster with every backend: the whole node. */
    private static List<Long> nodeProcesses(Cluster.Node n) {
        List<Long> pids = new java.util.ArrayList<>();
        for (Long root : new Long[] {n.agentPid(), n.postmasterPid()}) {
            if (root == null) continue;
            pids.add(root);
            ProcessHandle.of(root).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
        }
        return pids;
    }

    @Test
    void aFrozenLeaderNodeIsTakenOverAndOnceContinuedAcknowledgesNothingAndRejoins() throws Exception {
        cluster = Cluster.startWith(3, 30, 10, 10, "synchronous_mode: true", Map.of());
        Cluster.Node old = cluster.awaitPrimary(Duration.ofSeconds(30));
        old.execute("CREATE TABLE acked (id bigint PRIMARY KEY)");
        Cluster.Node standby = cluster.node(SyncModeIT.awaitSyncStandby(old));
        List<Long> frozen = nodeProcesses(old);
        try (Writer writer = new Writer(cluster.primaryUrl(), 10, 300_000).start()) {
            Awaitility.await("writes flowing").atMost(Duration.ofSeconds(30)).until(() -> writer.acked.size() > 50);
            frozen.forEach(pid -> Processes.signal(pid, "STOP"));
            try {
                Awaitility.await("the synchronous standby takes over").atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                        .until(() -> Boolean.FALSE.equals(standby.inRecovery()));
                int ackedAtFailover = writer.acked.size();
                Awaitility.await("writes resume").atMost(Duration.ofSeconds(30))
                        .until(() -> writer.acked.size() > ackedAtFailover + 20);
                assertThat(lost(writer, standby)).as("acknowledged commits missing on the new primary").isZero();
                assertThat(Cluster.httpGet(standby.api("/history"))).contains("fast takeover: ");
            } finally {
                frozen.forEach(pid -> Processes.signal(pid, "CONT"));
            }
            // continued: a commit on the old primary waits for a standby that no longer follows it, and fails
            boolean acknowledged;
            try (java.sql.Connection c = old.connect(); java.sql.Statement st = c.createStatement()) {
                st.execute("INSERT INTO acked (id) VALUES (-1)");
                acknowledged = true;
            } catch (java.sql.SQLException e) {
                acknowledged = false;
            }
            assertThat(acknowledged).as("a write on the continued old primary was acknowledged").isFalse();
            assertThat(standby.queryLong("SELECT count(*) FROM acked WHERE id = -1")).isZero();
        }
        Awaitility.await(old.name + " rejoins as a replica").atMost(Duration.ofSeconds(120)).ignoreExceptions()
                .pollInterval(Duration.ofMillis(500)).until(() -> Boolean.TRUE.equals(old.inRecovery()));
        assertThat(cluster.primaries()).containsExactly(standby);
    }

    @Test
    void aLeaderWhoseAgentDiedIsNotTakenOverWhileItsPostgresRuns() throws Exception {
        // ttl 30: the fence stops the orphaned Postgres at the lease deadline, many seconds after the agent died
        cluster = Cluster.startWith(3, 30, 10, 10, "synchronous_mode: true", Map.of());
        Cluster.Node old = cluster.awaitPrimary(Duration.ofSeconds(30));
        old.execute("CREATE TABLE acked (id bigint PRIMARY KEY)");
        SyncModeIT.awaitSyncStandby(old);
        try (Writer writer = new Writer(cluster.primaryUrl(), 10, 300_000).start()) {
            Awaitility.await("writes flowing").atMost(Duration.ofSeconds(30)).until(() -> writer.acked.size() > 50);
            old.killAgent();
            Awaitility.await("the old primary fenced, never beside another").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100)).until(() -> {
                        boolean running = old.postmasterPid() != null;
                        if (running) assertThat(cluster.primaries()).as("primaries while " + old.name + "'s Postgres runs")
                                .allMatch(p -> p == old);
                        return !running;
                    });
            Cluster.Node now = Awaitility.await("a new primary").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> cluster.primaries(), p -> p.size() == 1 && p.get(0) != old).get(0);
            int ackedAtFailover = writer.acked.size();
            Awaitility.await("writes resume").atMost(Duration.ofSeconds(30)).until(() -> writer.acked.size() > ackedAtFailover + 20);
            assertThat(lost(writer, now)).as("acknowledged commits missing on the new primary").isZero();
        }
    }

    @Test
    void aLeaderCutOffFromItsSynchronousStandbyOnlyKeepsLeadingAndWriting() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Network.available(), "needs root and ip netns");
        cluster = Cluster.startIsolated(3, 10, 2, 3, "synchronous_mode: true");
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(30));
        leader.execute("CREATE TABLE acked (id bigint PRIMARY KEY)");
        Cluster.Node standby = cluster.node(SyncModeIT.awaitSyncStandby(leader));
        Cluster.Node other = cluster.nodes.stream().filter(n -> n != leader && n != standby).findFirst().orElseThrow();
        try (Writer writer = new Writer(cluster.primaryUrl(), 10, 300_000).start()) {
            Awaitility.await("writes flowing").atMost(Duration.ofSeconds(30)).until(() -> writer.acked.size() > 50);
            cluster.net.cut(leader.name, standby.name);
            try {
                Awaitility.await(standby.name + " publishes the leader unreachable").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> Cluster.httpGet(other.api("/cluster")).contains("\"leader_unreachable\""));
                int before = writer.acked.size();
                // the leader names the other standby and goes on; the cut-off standby alone is no majority
                Awaitility.await("writes go on through the other standby").atMost(Duration.ofSeconds(60))
                        .until(() -> writer.acked.size() > before + 100);
                Awaitility.await("the same leader for 3 unreachable_for").during(Duration.ofSeconds(6))
                        .atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(250))
                        .until(() -> cluster.primaries().equals(List.of(leader)));
                assertThat(takeovers(standby, "fast")).isEqualTo(0.0);
            } finally {
                cluster.net.heal(leader.name, standby.name);
            }
        }
    }
}
