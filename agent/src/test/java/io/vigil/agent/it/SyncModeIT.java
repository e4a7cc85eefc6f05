package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Synchronous mode and candidate tags, on real agents: no acknowledged commit lost across repeated node deaths. */
class SyncModeIT extends ClusterTest {
    private static final int ROUNDS = 10;

    /** Waits until the leader names a synchronous standby that Postgres waits for, and returns its name. */
    static String awaitSyncStandby(Cluster.Node leader) {
        return Awaitility.await("a synchronous standby on " + leader.name).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> {
                    List<String> s = leader.queryStrings(
                            "SELECT application_name FROM pg_stat_replication WHERE sync_state = 'sync'");
                    String body = Cluster.httpGet(leader.api("/cluster"));
                    return s.size() == 1 && body.contains("\"synchronous_standbys\":[\"" + s.get(0) + "\"]") ? s.get(0) : null;
                }, name -> name != null);
    }

    private static final String[][] SYNC_PATHS = {{"/sync", "/synchronous"}, {"/async", "/asynchronous"},
        {"/read-only-sync", "/read-only-synchronous"}, {"/standby-leader", "/standby_leader"}};

    /** GET, HEAD and OPTIONS codes of the sync/async endpoints and their aliases, by "METHOD path". */
    static Map<String, Integer> syncCodes(Cluster.Node n) {
        return syncProbes((method, path, group) -> Cluster.httpStatus(method, n.api(path)));
    }

    /** What {@link #syncCodes(Cluster.Node)} should read: /standby-leader is 503 everywhere. */
    static Map<String, Integer> syncCodes(int sync, int async, int readOnlySync) {
        int[] codes = {sync, async, readOnlySync, 503};
        return syncProbes((method, path, group) -> codes[group]);
    }

    private interface Probe {
        int code(String method, String path, int group);
    }

    private static Map<String, Integer> syncProbes(Probe probe) {
        Map<String, Integer> out = new java.util.LinkedHashMap<>();
        for (int group = 0; group < SYNC_PATHS.length; group++) {
            for (String path : SYNC_PATHS[group]) {
                for (String method : new String[] {"GET", "HEAD", "OPTIONS"}) {
                    out.put(method + " " + path, probe.code(method, path, group));
                }
            }
        }
        return out;
    }

    /** The port of the Postgres a connection through {@code url} reached, and that it is a standby. */
    private static int standbyPortBehind(String url) throws Exception {
        try (Connection c = DriverManager.getConnection(url, Cluster.superuser()); Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT inet_server_port(), pg_is_in_recovery()")) {
            rs.next();
            assertThat(rs.getBoolean(2)).as("read through " + url + " reached a standby").isTrue();
            return rs.getInt(1);
        }
    }

    @Test
    void syncEndpointsFollowTheSyncKeyAndHaproxyReadsFromTheSynchronousStandbyOnly() throws Exception {
        cluster = Cluster.startWith(3, 6, 1, 2, "synchronous_mode: true", Map.of());
        Cluster.Node primary = cluster.awaitPrimary(Duration.ofSeconds(10));
        Cluster.Node sync = cluster.node(awaitSyncStandby(primary));
        Cluster.Node async = cluster.nodes.stream().filter(n -> n != primary && n != sync).findFirst().orElseThrow();
        assertThat(syncCodes(primary)).as("on the primary").isEqualTo(syncCodes(503, 503, 200));
        assertThat(syncCodes(sync)).as("on the synchronous standby").isEqualTo(syncCodes(200, 503, 200));
        assertThat(syncCodes(async)).as("on the other replica").isEqualTo(syncCodes(503, 200, 503));
        assertThat(Cluster.httpStatus("GET", sync.api("/sync?tag_zone=eu"))).isEqualTo(503);
        assertThat(Cluster.httpGet(sync.api("/patroni"))).contains("\"sync_standby\":true");
        assertThat(Cluster.httpGet(async.api("/patroni"))).doesNotContain("sync_standby");
        assertThat(sync.metric("patroni_sync_standby")).isEqualTo(1.0);
        assertThat(async.metric("patroni_sync_standby")).isEqualTo(0.0);

        try (HaproxyServer haproxy = new HaproxyServer(cluster)) {
            haproxy.awaitRoutesTo("sync", sync);
            assertThat(standbyPortBehind(haproxy.syncUrl())).isEqualTo(sync.pgPort);
            // the synchronous standby dies: the leader names the other, and the endpoints and HAProxy follow the key
            sync.killAgent();
            sync.killPostmaster();
            assertThat(awaitSyncStandby(primary)).isEqualTo(async.name);
            haproxy.awaitRoutesTo("sync", async);
            assertThat(standbyPortBehind(haproxy.syncUrl())).isEqualTo(async.pgPort);
            assertThat(syncCodes(async)).as("on the new synchronous standby").isEqualTo(syncCodes(200, 503, 200));
        }
        // the last standby dies: the leader runs alone, and says since when
        async.killAgent();
        async.killPostmaster();
        String alone = Awaitility.await("the leader runs without a synchronous standby").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> Cluster.httpGet(primary.api("/cluster")), b -> b.contains("\"no_sync_standby\""));
        assertThat(alone).contains("\"synchronous_standbys\":[]")
                .containsPattern(primary.name + " runs without a synchronous standby since 20\\d\\d-\\d\\d-\\d\\dT");
        Awaitility.await("vigil_no_sync_standby_seconds counts").atMost(Duration.ofSeconds(10))
                .until(() -> primary.metric("vigil_no_sync_standby_seconds") >= 1.0);
    }

    /**
     * Back-to-back node deaths: each round kills the leader node, restarts it, waits until the cluster
     * looks healthy from outside (one member answers /primary 200, two streaming replicas) without
     * waiting on the sync key, holds that for 3 s, and kills the next leader. Each round must end with
     * a new primary and no acknowledged commit lost.
     */
    @Test
    void backToBackNodeDeathsEachEndWithANewPrimaryAndLoseNoAcknowledgedCommit() throws Exception {
        cluster = Cluster.startWith(3, 10, 2, 3, "synchronous_mode: true", Map.of());
        Cluster.Node primary = cluster.awaitPrimary(Duration.ofSeconds(10));
        primary.execute("CREATE TABLE acked (id bigint PRIMARY KEY)");
        awaitSyncStandby(primary);
        Writer writer = new Writer(cluster.primaryUrl(), 10, 900_000).start();
        int lostTotal = 0;
        try {
            for (int round = 1; round <= ROUNDS; round++) {
                int before = writer.acked.size();
                Awaitility.await("writes flowing before round " + round).atMost(Duration.ofSeconds(30))
                        .until(() -> writer.acked.size() > before + 20);
                Cluster.Node old = primary;
                old.killAgent();
                old.killPostmaster();
                primary = Awaitility.await("a new primary after round " + round).atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> cluster.primaries(), p -> p.size() == 1 && p.get(0) != old).get(0);
                Cluster.Node now = primary;
                int ackedAtFailover = writer.acked.size();
                Awaitility.await("writes resume on " + now.name).atMost(Duration.ofSeconds(30))
                        .until(() -> writer.acked.size() > ackedAtFailover + 5);
                // acknowledgements first, then the rows: an insert acknowledged after the read is not "lost"
                List<Long> ackedSoFar = writer.acked.stream().map(Writer.Ack::id).toList();
                Set<Long> onPrimary = new HashSet<>();
                for (String id : now.queryStrings("SELECT id FROM acked")) onPrimary.add(Long.parseLong(id));
                long lost = ackedSoFar.stream().filter(id -> !onPrimary.contains(id)).count();
                System.out.printf("back-to-back round %d: %s -> %s, %d acknowledged so far, %d lost%n", round, old.name,
                        now.name, writer.acked.size(), lost);
                lostTotal += lost;
                assertThat(lost).as("acknowledged commits missing on the new primary after round " + round).isZero();
                old.startAgent();
                cluster.awaitStreamingReplicas(now, 2, Duration.ofSeconds(90));
                Awaitility.await(now.name + " answers /primary").atMost(Duration.ofSeconds(10))
                        .until(() -> Cluster.httpStatus("GET", now.api("/primary")) == 200);
                // the next fault comes 3 s after the cluster looks healthy, whatever the sync key says
                Awaitility.await("the cluster stays healthy for 3 s").during(Duration.ofSeconds(3))
                        .atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(250))
                        .until(() -> Cluster.httpStatus("GET", now.api("/primary")) == 200);
            }
        } finally {
            writer.close();
        }
        System.out.printf("back-to-back loop: %d rounds, %d acknowledged commits, %d lost%n", ROUNDS,
                writer.acked.size(), lostTotal);
        assertThat(cluster.primaries()).containsExactly(primary);
    }

    @Test
    void strictModeHoldsACommitUntilAStandbyConfirmsIt() throws Exception {
        cluster = Cluster.startWith(3, 6, 1, 2, "synchronous_mode: true, synchronous_mode_strict: true", Map.of());
        Cluster.Node primary = cluster.awaitPrimary(Duration.ofSeconds(10));
        primary.execute("CREATE TABLE t (v int)");
        awaitSyncStandby(primary);
        List<Cluster.Node> replicas = cluster.nodes.stream().filter(n -> n != primary).toList();
        for (Cluster.Node r : replicas) {
            r.killAgent();
            r.killPostmaster();
        }
        Properties p = Cluster.superuser();
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + primary.pgPort + "/postgres", p);
                 Statement st = c.createStatement()) {
                st.execute("INSERT INTO t VALUES (1)");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Awaitility.await("the commit waits while no standby runs").during(Duration.ofSeconds(5))
                .atMost(Duration.ofSeconds(7)).until(() -> !write.isDone());
        replicas.get(1).startAgent();
        write.get(90, TimeUnit.SECONDS);
        Awaitility.await("the row on the restarted standby").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> replicas.get(1).queryLong("SELECT count(*) FROM t") == 1);
    }

    @Test
    void memberTaggedNofailoverIsNeverPromotedEvenWhenMostAdvanced() throws Exception {
        cluster = Cluster.startWith(3, 6, 1, 2, "", Map.of("node3", "tags: {nofailover: true}"));
        Cluster.Node primary = cluster.awaitPrimary(Duration.ofSeconds(10));
        Cluster.Node tagged = cluster.node("node3");
        if (primary == tagged) throw new AssertionError("node3 is tagged nofailover but bootstrapped as primary");
        Cluster.Node other = cluster.nodes.stream().filter(n -> n != primary && n != tagged).findFirst().orElseThrow();
        primary.execute("CREATE TABLE t (v int)");
        Awaitility.await("table on node3").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> tagged.queryLong("SELECT count(*) FROM t") == 0);
        other.killAgent();
        other.killPostmaster();
        primary.execute("INSERT INTO t SELECT generate_series(1, 1000)");
        Awaitility.await("node3 has the rows the other replica lacks").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> tagged.queryLong("SELECT count(*) FROM t") == 1000);
        primary.killAgent();
        primary.killPostmaster();
        other.startAgent();
        Awaitility.await("the untagged replica promotes; node3 never does").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    if (Boolean.FALSE.equals(tagged.inRecovery())) throw new AssertionError("node3 was promoted");
                    return Boolean.FALSE.equals(other.inRecovery());
                });
        // node3's WAL went past the switch: it stops for pg_rewind (possibly right now) and comes back as a standby
        Awaitility.await("node3 answers as a standby again").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    if (Boolean.FALSE.equals(tagged.inRecovery())) throw new AssertionError("node3 was promoted");
                    return Boolean.TRUE.equals(tagged.inRecovery());
                });
        assertThat(Cluster.httpGet(other.api("/cluster"))).contains("tagged nofailover");
    }
}
