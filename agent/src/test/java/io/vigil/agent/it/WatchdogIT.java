package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * watchdog.mode: required on a node whose device does not exist: it never leads, and the others
 * neither wait for it in an election nor accept it as a switchover candidate.
 */
class WatchdogIT extends ClusterTest {
    private static final String AUTH = "vigil:" + Cluster.REST_PASSWORD;

    @Test
    void nodeWhoseRequiredWatchdogIsMissingNeverLeadsAndNobodyWaitsForIt() throws Exception {
        // node1 has the highest failover_priority: an equally advanced peer would wait for it, were it eligible
        cluster = Cluster.startWith(3, 6, 1, 2, "", Map.of("node1",
                "watchdog: {mode: required, device: /nonexistent/watchdog}\ntags: {failover_priority: 5}"));
        Cluster.Node node1 = cluster.node("node1");
        Cluster.Node old = cluster.awaitPrimary(Duration.ofSeconds(10));
        assertThat(old).isNotSameAs(node1);
        assertThat(node1.inRecovery()).isTrue();

        String[] refused = Cluster.http("POST", old.api("/switchover"),
                "{\"leader\":\"" + old.name + "\",\"candidate\":\"node1\"}", AUTH);
        assertThat(refused[0]).startsWith("4");
        assertThat(refused[1]).contains("watchdog");

        old.execute("CREATE TABLE t (id int PRIMARY KEY)");
        old.execute("INSERT INTO t VALUES (1)");
        long lsn = old.queryLong("SELECT pg_current_wal_lsn() - '0/0'");
        for (Cluster.Node r : cluster.nodes) {
            if (r == old) continue;
            Awaitility.await(r.name + " caught up").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> r.queryLong("SELECT pg_last_wal_replay_lsn() - '0/0'") >= lsn);
        }
        old.killAgent();
        old.killPostmaster();

        Cluster.Node promoted = cluster.awaitPrimary(Duration.ofSeconds(60));
        assertThat(promoted).isNotSameAs(node1).isNotSameAs(old);
        assertThat(promoted.queryLong("SELECT count(*) FROM t")).isEqualTo(1);
        Awaitility.await("node1 streams from the new primary").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> promoted.queryStrings("SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'"),
                        names -> names.contains("node1"));
        assertThat(node1.inRecovery()).isTrue();
    }
}
