package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Planned switchover over HTTP while a client writes, and the refusals of the write endpoints. */
class SwitchoverIT extends ClusterTest {
    private static final String AUTH = "vigil:" + Cluster.REST_PASSWORD;

    @Test
    void switchoverPostedToAReplicaMovesThePrimaryBehindHaproxyWithoutLosingAnAcknowledgedWrite() throws Exception {
        cluster = Cluster.start(3, 6, 1, 2);
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(10));
        List<Cluster.Node> replicas = cluster.nodes.stream().filter(n -> n != leader).toList();
        Cluster.Node candidate = replicas.get(0);
        Cluster.Node postedTo = replicas.get(1);
        leader.execute("CREATE TABLE acked (id bigint PRIMARY KEY)");
        Awaitility.await("table on the candidate").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> candidate.queryLong("SELECT count(*) FROM acked") == 0);

        HaproxyServer haproxy = new HaproxyServer(cluster);
        haproxy.awaitRoutesTo(leader);
        Writer writer = new Writer(haproxy.url(), 20, 120_000).start();
        try {
            Awaitility.await("writes flowing").atMost(Duration.ofSeconds(10)).until(() -> writer.acked.size() > 20);
            String[] r = Cluster.http("POST", postedTo.api("/switchover"),
                    "{\"leader\":\"" + leader.name + "\",\"candidate\":\"" + candidate.name + "\"}", AUTH);
            assertThat(r[0]).as(r[1]).isEqualTo("200");
            assertThat(r[1]).contains("Successfully switched over to \"" + candidate.name + "\"");
            int before = writer.acked.size();
            Awaitility.await("writes resume on the new primary").atMost(Duration.ofSeconds(20))
                    .until(() -> writer.acked.size() > before + 20);
            haproxy.awaitRoutesTo(candidate);
        } finally {
            writer.close();
            haproxy.close();
        }
        System.out.println("switchover: " + writer.acked.size() + " acknowledged writes, longest gap "
                + writer.longestGapMs() + " ms");

        assertThat(cluster.primaries()).containsExactly(candidate);
        Set<Long> onPrimary = new HashSet<>();
        for (String id : candidate.queryStrings("SELECT id FROM acked")) onPrimary.add(Long.parseLong(id));
        assertThat(onPrimary).as("every acknowledged commit is on the new primary")
                .containsAll(writer.acked.stream().map(Writer.Ack::id).toList());
        cluster.awaitStreamingReplicas(candidate, 2, Duration.ofSeconds(60));
        Awaitility.await("old leader is a replica").atMost(Duration.ofSeconds(30))
                .until(leader::inRecovery, Boolean.TRUE::equals);
        assertThat(Cluster.httpStatus("GET", candidate.api("/primary"))).isEqualTo(200);
        Awaitility.await("metrics show the flipped roles").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(candidate.metric("patroni_primary")).isEqualTo(1.0);
            assertThat(candidate.metric("vigil_is_leader")).isEqualTo(1.0);
            assertThat(candidate.metric("vigil_promotions_total")).isEqualTo(1.0);
            assertThat(leader.metric("patroni_primary")).isEqualTo(0.0);
            assertThat(leader.metric("patroni_replica")).isEqualTo(1.0);
            assertThat(leader.metric("vigil_switchovers_total")).isEqualTo(1.0);
        });
        assertThat(candidate.metric("vigil_leader_lease_seconds_left")).isGreaterThan(0.0);
        assertThat(Cluster.httpStatus("GET", leader.api("/primary"))).isEqualTo(503);
    }

    /** The value of an unlabelled-apart-from-scope/name sample in the node's Prometheus text. */
    @Test
    void writeEndpointsRefuseBadRequestsWithClearCodes() throws Exception {
        cluster = Cluster.start(2, 6, 1, 2);
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(10));
        Cluster.Node replica = cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        String ok = "{\"leader\":\"" + leader.name + "\",\"candidate\":\"" + replica.name + "\"}";

        assertThat(Cluster.http("POST", leader.api("/switchover"), ok, null)[0]).isEqualTo("401");
        assertThat(Cluster.http("POST", leader.api("/switchover"), ok, "vigil:wrong")[0]).isEqualTo("401");
        assertThat(Cluster.http("POST", leader.api("/switchover"), "not-json", AUTH))
                .containsExactly("400", "invalid JSON: Unrecognized token 'not': was expecting (JSON String, Number,"
                        + " Array, Object or token 'null', 'true' or 'false')\n");
        assertThat(Cluster.http("POST", leader.api("/switchover"), "{\"candidate\":\"" + replica.name + "\"}", AUTH)[0])
                .isEqualTo("400");
        assertThat(Cluster.http("POST", leader.api("/switchover"),
                "{\"leader\":\"" + replica.name + "\",\"candidate\":\"" + leader.name + "\"}", AUTH)[1])
                .contains("leader name does not match");
        assertThat(Cluster.http("POST", leader.api("/switchover"),
                "{\"leader\":\"" + leader.name + "\",\"candidate\":\"ghost\"}", AUTH))
                .satisfies(r -> assertThat(r[0]).isEqualTo("412"));
        assertThat(Cluster.http("POST", leader.api("/failover"), "{\"leader\":\"" + leader.name + "\"}", AUTH)[0])
                .isEqualTo("400");
        assertThat(Cluster.http("DELETE", leader.api("/switchover"), null, AUTH)[0]).isEqualTo("404");
        String[] past = Cluster.http("POST", leader.api("/switchover"), "{\"leader\":\"" + leader.name
                + "\",\"candidate\":\"" + replica.name + "\",\"scheduled_at\":\"2020-01-01T00:00:00Z\"}", AUTH);
        assertThat(past[0]).as(past[1]).isEqualTo("422");

        String[] scheduled = Cluster.http("POST", replica.api("/switchover"), "{\"leader\":\"" + leader.name
                + "\",\"candidate\":\"" + replica.name + "\",\"scheduled_at\":\"2099-01-01T00:00:00Z\"}", AUTH);
        assertThat(scheduled[0]).as(scheduled[1]).isEqualTo("202");
        Awaitility.await("scheduled switchover visible").atMost(Duration.ofSeconds(10))
                .until(() -> Cluster.http("POST", leader.api("/switchover"), ok, AUTH)[0].equals("409"));
        assertThat(Cluster.http("DELETE", leader.api("/switchover"), null, AUTH)[0]).isEqualTo("200");
        assertThat(cluster.primaries()).containsExactly(leader);
        assertThat(Cluster.http("GET", leader.api("/cluster"), null, null)[1]).doesNotContain("at java.");
    }
}
