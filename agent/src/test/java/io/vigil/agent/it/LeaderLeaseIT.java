package io.vigil.agent.it;

import static io.vigil.agent.it.OperatorEndpointsIT.grantedTtl;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The leader key lives on a lease shorter than ttl, kept alive beside the loop, and goes with a dead leader. */
class LeaderLeaseIT extends ClusterTest {
    private static final String LEADER_KEY = "/vigil/it/leader";

    @Test
    void leaderKeyOnAShortLeaseOutlivesLoopWaitAndGoesWithADeadLeader() throws Exception {
        // ttl 20, loop_wait 10, retry_timeout 3: the leader lease is 3 + 2 + 2 = 7 s, shorter than loop_wait,
        // so the key lasts between two cycles only if it is renewed beside the loop.
        cluster = Cluster.start(3, 20, 10, 3);
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(30));
        try (Client etcd = Client.builder().endpoints("http://" + cluster.etcd.endpoint()).build()) {
            String startedAt = leader.queryStrings("SELECT pg_postmaster_start_time()::text").get(0);
            KeyValue key = leaderKey(etcd);
            assertThat(key.getValue().toString()).isEqualTo(leader.name);
            assertThat(grantedTtl(etcd, LEADER_KEY, leader.name)).isEqualTo(7);
            for (Cluster.Node n : cluster.nodes) {
                assertThat(grantedTtl(etcd, "/vigil/it/members/" + n.name, null)).as(n.name + "'s member key").isEqualTo(20);
            }

            Awaitility.await("the same leader key, never re-created, across two loop_waits")
                    .during(Duration.ofSeconds(25)).atMost(Duration.ofSeconds(35)).pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        KeyValue now = leaderKey(etcd);
                        return now != null && now.getCreateRevision() == key.getCreateRevision()
                                && now.getModRevision() == key.getModRevision();
                    });
            assertThat(cluster.primaries()).containsExactly(leader);
            assertThat(leader.queryStrings("SELECT pg_postmaster_start_time()::text"))
                    .as("the primary was never fenced and restarted meanwhile").containsExactly(startedAt);

            leader.execute("CREATE TABLE kept (id int)");
            leader.execute("INSERT INTO kept VALUES (1)");
            long lsn = leader.queryLong("SELECT pg_current_wal_lsn() - '0/0'");
            List<Cluster.Node> replicas = cluster.nodes.stream().filter(n -> n != leader).toList();
            for (Cluster.Node r : replicas) {
                Awaitility.await(r.name + " caught up").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                        .until(() -> r.queryLong("SELECT pg_last_wal_replay_lsn() - '0/0'") >= lsn);
            }
            leader.killAgent();
            leader.killPostmaster();

            Cluster.Node promoted = cluster.awaitPrimary(Duration.ofSeconds(60));
            assertThat(promoted).isNotSameAs(leader);
            assertThat(promoted.queryLong("SELECT count(*) FROM kept")).isEqualTo(1);
            assertThat(grantedTtl(etcd, LEADER_KEY, promoted.name)).isEqualTo(7);
        }
    }

    @Test
    void primaryCutOffFromEtcdForLessThanRetryTimeoutKeepsLeading() throws Exception {
        // ttl 20, loop_wait 2, retry_timeout 6: a 10 s leader lease. Patroni's promise: etcd trouble shorter than
        // retry_timeout does not demote the leader. Here etcd keeps running; only the primary cannot reach it.
        cluster = Cluster.startIsolated(3, 20, 2, 6, "");
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(30));
        String startedAt = leader.queryStrings("SELECT pg_postmaster_start_time()::text").get(0);
        try (Client etcd = Client.builder().endpoints(cluster.etcd.endpoints().stream().map(e -> "http://" + e).toArray(String[]::new)).build()) {
            KeyValue key = leaderKey(etcd);
            assertThat(key.getValue().toString()).isEqualTo(leader.name);
            for (String e : EtcdCluster.HOSTS) cluster.net.cut(leader.name, e);
            try {
                Awaitility.await("the primary accepts writes while cut off from etcd")
                        .during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(250))
                        .until(leader::acceptsWrite);
            } finally {
                for (String e : EtcdCluster.HOSTS) cluster.net.heal(leader.name, e);
            }
            assertKeepsLeading("after the cut", etcd, key, leader, startedAt, Duration.ofSeconds(12));
        }
    }

    @Test
    void aFullDiskDoesNotFenceAHealthyPrimary() throws Exception {
        // ttl 10, loop_wait 2, retry_timeout 3: a 7 s leader lease. The fence's heartbeat lives beside the data
        // directory; on a full disk it must still reach the fence, or the fence stops a primary that holds its lease.
        cluster = Cluster.startIsolated(3, 10, 2, 3, "");
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(30));
        String startedAt = leader.queryStrings("SELECT pg_postmaster_start_time()::text").get(0);
        try (Client etcd = Client.builder().endpoints(cluster.etcd.endpoints().stream().map(e -> "http://" + e).toArray(String[]::new)).build()) {
            KeyValue key = leaderKey(etcd);
            assertThat(key.getValue().toString()).isEqualTo(leader.name);
            // A fresh WAL segment with room in it first: Postgres itself stops when it must create one on a full disk.
            leader.execute("CREATE TABLE before_full (id int)");
            leader.execute("SELECT pg_switch_wal()");
            leader.execute("INSERT INTO before_full VALUES (1)");
            leader.fillDisk();
            try {
                assertKeepsLeading("for two leader leases on a full disk", etcd, key, leader, startedAt, Duration.ofSeconds(15));
            } finally {
                leader.freeDisk();
            }
        }
    }

    /** Throughout {@code during}: the same leader key (never re-created) and {@code leader} the only primary, never restarted. */
    private void assertKeepsLeading(String when, Client etcd, KeyValue key, Cluster.Node leader, String startedAt,
                                    Duration during) throws Exception {
        Awaitility.await("the same primary and the same leader key " + when)
                .during(during).atMost(during.plusSeconds(8)).pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    KeyValue now = leaderKey(etcd);
                    return now != null && now.getCreateRevision() == key.getCreateRevision()
                            && cluster.primaries().equals(List.of(leader));
                });
        assertThat(leader.queryStrings("SELECT pg_postmaster_start_time()::text"))
                .as("the primary was never fenced and restarted").containsExactly(startedAt);
    }

    private static KeyValue leaderKey(Client etcd) throws Exception {
        List<KeyValue> kvs = etcd.getKVClient().get(ByteSequence.from(LEADER_KEY.getBytes())).get().getKvs();
        return kvs.isEmpty() ? null : kvs.get(0);
    }
}
