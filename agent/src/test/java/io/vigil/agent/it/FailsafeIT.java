package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** failsafe_mode: a primary outlives an etcd outage only while every member confirms it follows it. */
class FailsafeIT extends ClusterTest {

    @Test
    void primaryKeepsWritingThroughAnEtcdOutageWhileEveryMemberConfirms() throws Exception {
        cluster = Cluster.startWith(3, 6, 1, 2, "failsafe_mode: true", Map.of());
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(10));
        leader.execute("CREATE TABLE t (v int)");
        assertThat(Cluster.httpStatus("GET", leader.api("/failsafe"))).isEqualTo(200);
        Cluster.Node member = cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        assertThat(leader.metric("patroni_failsafe_mode_is_active")).isEqualTo(0.0);

        cluster.etcd.stop();
        Awaitility.await("the member's first cycle without etcd").atMost(Duration.ofSeconds(6))
                .pollInterval(Duration.ofMillis(100)).until(() -> member.metric("vigil_etcd_reachable") == 0.0);
        assertThat(Cluster.httpStatus("GET", member.api("/failsafe"))).as("the last view, read less than ttl ago")
                .isEqualTo(200);
        Awaitility.await("failsafe shown active by the leader and a member").atMost(Duration.ofSeconds(10))
                .until(() -> leader.metric("patroni_failsafe_mode_is_active") == 1.0
                        && Cluster.httpGet(member.api("/patroni")).contains("\"failsafe_mode_is_active\":true"));
        Awaitility.await("writes accepted for 2 x ttl without etcd").during(Duration.ofSeconds(12))
                .atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500))
                .until(() -> leader.acceptsWrite() && cluster.primaries().size() == 1);
        assertThat(Cluster.httpStatus("GET", member.api("/failsafe"))).as("no view read within ttl").isEqualTo(502);
        cluster.etcd.start();
        assertThat(cluster.awaitPrimary(Duration.ofSeconds(30))).isEqualTo(leader);
        cluster.awaitStreamingReplicas(leader, 2, Duration.ofSeconds(30));
        Awaitility.await("leader key taken back").atMost(Duration.ofSeconds(20))
                .until(() -> Cluster.httpStatus("GET", leader.api("/primary")) == 200);
        Awaitility.await("failsafe no longer active on the leader").atMost(Duration.ofSeconds(10))
                .until(() -> leader.metric("patroni_failsafe_mode_is_active") == 0.0
                        && !Cluster.httpGet(leader.api("/patroni")).contains("failsafe_mode_is_active"));

        // Without etcd and with one member gone, confirmation fails: the primary stops at its deadline. The
        // member keys went with their leases during the outage: the leader must know all three again first.
        Awaitility.await("every member key back in the leader's view").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(200)).until(() -> cluster.nodes.stream()
                        .allMatch(n -> Cluster.httpGet(leader.api("/cluster")).contains("\"name\":\"" + n.name + "\"")));
        Cluster.Node replica = cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        replica.killAgent();
        replica.killPostmaster();
        cluster.etcd.stop();
        long stopped = System.nanoTime();
        Awaitility.await("primary stops taking writes").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> !leader.acceptsWrite());
        System.out.printf("failsafe: primary stopped writes %d ms after etcd went down with a member missing%n",
                (System.nanoTime() - stopped) / 1_000_000);
        assertThat(cluster.primaries()).isEmpty();
        cluster.etcd.start();
        replica.startAgent();
        Cluster.Node recovered = cluster.awaitPrimary(Duration.ofSeconds(60));
        cluster.awaitStreamingReplicas(recovered, 2, Duration.ofSeconds(60));
    }
}
