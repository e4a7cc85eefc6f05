package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
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
}
