package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The two ways a leader can lose its lease without dying: frozen agent, and etcd gone. */
class SafetyIT extends ClusterTest {

    @Test
    void frozenLeaderAgentIsFencedBeforeAnotherNodeIsPromoted() throws Exception {
        cluster = Cluster.start(3, 6, 1, 2);
        Cluster.Node old = cluster.awaitPrimary(Duration.ofSeconds(10));
        old.execute("CREATE TABLE probe (node text, at timestamptz DEFAULT now())");
        Cluster.Node promoted;
        try (SplitBrainProbe probe = new SplitBrainProbe(cluster.nodes).start()) {
            Awaitility.await("probe writes flowing").atMost(Duration.ofSeconds(10)).until(() -> probe.acceptCount() > 10);
            Processes.signal(old.agentPid(), "STOP");
            try {
                // The fence process, not the frozen JVM, stops the old primary at its lease deadline.
                Awaitility.await("old primary fenced while its agent is frozen").atMost(Duration.ofSeconds(cluster.ttl + 5L))
                        .pollInterval(Duration.ofMillis(100)).until(() -> !old.acceptsWrite());
                promoted = Awaitility.await("another node promoted").atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> cluster.primaries().stream().filter(n -> n != old).findFirst().orElse(null),
                                n -> n != null);
                Awaitility.await("writes on the new primary").atMost(Duration.ofSeconds(20))
                        .until(() -> probe.intervals(350_000_000L).stream().anyMatch(i -> !i.node().equals(old.name)));
            } finally {
                Processes.signal(old.agentPid(), "CONT");
            }
            assertThat(probe.overlaps()).as("no two nodes accepted writes at the same time").isEmpty();
        }
        Awaitility.await("old leader rejoins as a replica").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> Boolean.TRUE.equals(old.inRecovery()));
        assertThat(cluster.primaries()).containsExactly(promoted);
        cluster.awaitStreamingReplicas(promoted, 2, Duration.ofSeconds(60));
    }

    /**
     * Asynchronous replication with the replicas behind (their walsenders stopped): the fence stops the
     * writers at the deadline, lets the walsenders send what was acknowledged, and only then kills Postgres.
     */
    @Test
    void theFenceLetsAsynchronousReplicasReceiveEveryAcknowledgedCommitBeforeStoppingAFrozenLeader() throws Exception {
        Cluster.Node old = leaderWithCommitsItsReplicasLack();

        Processes.signal(old.agentPid(), "STOP");
        Cluster.Node promoted;
        try {
            promoted = Awaitility.await("another node promoted").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> cluster.primaries().stream().filter(n -> n != old).findFirst().orElse(null),
                            n -> n != null);
        } finally {
            Processes.signal(old.agentPid(), "CONT");
        }
        assertThat(promoted.queryLong("SELECT count(*) FROM acked")).as("acknowledged rows on the new primary")
                .isEqualTo(100);
        Awaitility.await("old leader rejoins as a replica").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> Boolean.TRUE.equals(old.inRecovery()));
        cluster.awaitStreamingReplicas(promoted, 2, Duration.ofSeconds(60));
    }

    /**
     * A live agent cut off from etcd stops its Postgres at the deadline itself. It too stops the writers
     * first and lets the walsenders send what was acknowledged (its fence process is frozen here, so
     * only the agent acts).
     */
    @Test
    void aLeaderThatLosesEtcdStopsItsWritersFirstSoAsynchronousReplicasReceiveEveryAcknowledgedCommit() throws Exception {
        Cluster.Node old = leaderWithCommitsItsReplicasLack();
        List<Cluster.Node> replicas = cluster.nodes.stream().filter(n -> n != old).toList();
        List<String> fence = Processes.output(List.of("pgrep", "-f", old.dir.resolve("vigil-fence.sh").toString()));
        assertThat(fence).as("the leader's fence process").hasSize(1);
        long fencePid = Long.parseLong(fence.get(0).strip());

        Processes.signal(fencePid, "STOP");
        try {
            cluster.etcd.stop();
            Awaitility.await("the leader stops its Postgres at its lease deadline").atMost(Duration.ofSeconds(cluster.ttl + 10L))
                    .pollInterval(Duration.ofMillis(100)).until(() -> old.postmasterPid() == null);
            for (Cluster.Node r : replicas) {
                Awaitility.await("acknowledged rows on " + r.name).atMost(Duration.ofSeconds(10)).ignoreExceptions()
                        .until(() -> r.queryLong("SELECT count(*) FROM acked"), n -> n == 100);
            }
        } finally {
            Processes.signal(fencePid, "CONT");
        }
        assertThat(Files.readString(old.dir.resolve("vigil-fence.log"))).contains("fenced by the agent at its lease deadline");
        cluster.etcd.start();
        Cluster.Node recovered = cluster.awaitPrimary(Duration.ofSeconds(60));
        assertThat(recovered.queryLong("SELECT count(*) FROM acked")).isEqualTo(100);
        cluster.awaitStreamingReplicas(recovered, 2, Duration.ofSeconds(60));
    }

    @Test
    void withoutEtcdTheLeaderDemotesAndNoReplicaPromotesThenTheClusterRecovers() throws Exception {
        cluster = Cluster.start(3, 6, 1, 2);
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(10));

        cluster.etcd.stop();
        long outageEnds = System.nanoTime() + Duration.ofSeconds(cluster.ttl * 2L).toNanos();
        Awaitility.await("leader demotes").atMost(Duration.ofSeconds(cluster.ttl + 10L))
                .pollInterval(Duration.ofMillis(100)).until(() -> cluster.primaries().isEmpty());
        long remainingMs = Math.max(0, (outageEnds - System.nanoTime()) / 1_000_000);
        Awaitility.await("no node may be primary while etcd is down").during(Duration.ofMillis(remainingMs))
                .atMost(Duration.ofMillis(remainingMs + 5_000)).pollInterval(Duration.ofMillis(250))
                .until(() -> cluster.primaries().isEmpty());

        cluster.etcd.start();
        Cluster.Node recovered = cluster.awaitPrimary(Duration.ofSeconds(60));
        cluster.awaitStreamingReplicas(recovered, 2, Duration.ofSeconds(60));
        assertThat(recovered.acceptsWrite()).isTrue();
    }

    /**
     * An asynchronous cluster whose leader has acknowledged 100 rows of {@code acked} that neither replica
     * has: both its walsenders are stopped (SIGSTOP; the fence lets them go on).
     */
    private Cluster.Node leaderWithCommitsItsReplicasLack() throws Exception {
        cluster = Cluster.start(3, 6, 1, 2);
        Cluster.Node old = cluster.awaitPrimary(Duration.ofSeconds(10));
        cluster.awaitStreamingReplicas(old, 2, Duration.ofSeconds(30));
        List<Cluster.Node> replicas = cluster.nodes.stream().filter(n -> n != old).toList();
        old.execute("CREATE TABLE acked (id int PRIMARY KEY)");
        for (Cluster.Node r : replicas) {
            Awaitility.await("the table on " + r.name).atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> r.queryLong("SELECT count(*) FROM acked") == 0);
        }
        List<String> senders = old.queryStrings("SELECT pid FROM pg_stat_replication");
        assertThat(senders).hasSize(2);
        senders.forEach(pid -> Processes.signal(Long.parseLong(pid), "STOP"));
        for (int id = 1; id <= 100; id++) old.execute("INSERT INTO acked VALUES (" + id + ")");
        for (Cluster.Node r : replicas) assertThat(r.queryLong("SELECT count(*) FROM acked")).as(r.name + " behind").isZero();
        return old;
    }
}
