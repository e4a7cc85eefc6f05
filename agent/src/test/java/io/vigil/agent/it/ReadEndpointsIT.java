package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Status codes of every health endpoint on a primary, a replica, a lagging replica and a stopped Postgres. */
class ReadEndpointsIT extends ClusterTest {
    private static final String AUTH = "vigil:" + Cluster.REST_PASSWORD;
    private static final String[] PATHS = {"/", "/primary", "/leader", "/master", "/read-write", "/replica",
        "/read-only", "/health", "/liveness", "/readiness"};

    private static Map<String, Integer> codes(Cluster.Node n, String method) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String p : PATHS) out.put(p, Cluster.httpStatus(method, n.api(p)));
        return out;
    }

    private static Map<String, Integer> expect(int primary, int replica, int readOnly, int health, int liveness,
                                               int readiness) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (String p : new String[] {"/", "/primary", "/leader", "/master", "/read-write"}) m.put(p, primary);
        m.put("/replica", replica);
        m.put("/read-only", readOnly);
        m.put("/health", health);
        m.put("/liveness", liveness);
        m.put("/readiness", readiness);
        return m;
    }

    /** A timestamptz as Python's str() prints it in UTC (Patroni's JSON), computed by Postgres itself. */
    private static String pythonTime(Cluster.Node n, String expr) throws Exception {
        return n.queryStrings("SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
                + " || CASE WHEN extract(microseconds FROM t)::int % 1000000 = 0 THEN ''"
                + " ELSE to_char(t AT TIME ZONE 'UTC', '.US') END || '+00:00' FROM (SELECT " + expr + " AS t) x").get(0);
    }

    private static double epoch(Cluster.Node n, String expr) throws Exception {
        return Double.parseDouble(n.queryStrings("SELECT extract(epoch FROM " + expr + ")::text").get(0));
    }

    @Test
    void healthEndpointsAnswerByRoleLagAndState() throws Exception {
        cluster = Cluster.start(2, 6, 1, 2);
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(10));
        Cluster.Node replica = cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        // the harness's agents run with systemd/vigil.service's JVM flags and environment
        assertThat(leader.agentProcFile("cmdline")).containsSubsequence(UnitJvm.flags()).contains("-XX:+UseSerialGC");
        assertThat(replica.agentProcFile("environ")).containsAll(UnitJvm.environment()).contains("MALLOC_ARENA_MAX=2");

        for (String method : new String[] {"GET", "HEAD", "OPTIONS"}) {
            assertThat(codes(leader, method)).as(method + " on the primary").isEqualTo(expect(200, 503, 200, 200, 200, 200));
            assertThat(codes(replica, method)).as(method + " on the replica").isEqualTo(expect(503, 200, 200, 200, 200, 200));
        }
        assertThat(Cluster.httpStatus("GET", replica.api("/replica?lag=0"))).isEqualTo(200);
        assertThat(Cluster.httpStatus("GET", replica.api("/replica?tag_foo=bar"))).isEqualTo(503);
        assertThat(Cluster.httpStatus("GET", replica.api("/replica?lag=lots"))).isEqualTo(400);
        // asynchronous mode: no synchronous standby, every replica is /async; nobody is a standby leader
        assertThat(SyncModeIT.syncCodes(leader)).isEqualTo(SyncModeIT.syncCodes(503, 503, 200));
        assertThat(SyncModeIT.syncCodes(replica)).isEqualTo(SyncModeIT.syncCodes(503, 200, 503));
        assertThat(Cluster.httpStatus("GET", replica.api("/async?lag=lots"))).isEqualTo(400);

        // lag both ways: replay paused on the replica while the primary writes 2 MB
        replica.execute("SELECT pg_wal_replay_pause()");
        leader.execute("CREATE TABLE filler AS SELECT repeat('x', 1000) AS pad FROM generate_series(1, 2000)");
        Awaitility.await("replica lags by more than 1MB").atMost(Duration.ofSeconds(15))
                .until(() -> Cluster.httpStatus("GET", replica.api("/replica?lag=1MB")) == 503);
        assertThat(Cluster.httpStatus("GET", replica.api("/replica?lag=1GB"))).isEqualTo(200);
        assertThat(Cluster.httpStatus("GET", replica.api("/replica"))).isEqualTo(200);
        assertThat(Cluster.httpStatus("GET", replica.api("/async?lag=1MB"))).isEqualTo(503);
        // /readiness: replayed WAL past maximum_lag_on_failover (1 MB), all of it received (Patroni's mode=write)
        assertThat(Cluster.httpStatus("GET", replica.api("/readiness"))).isEqualTo(503);
        assertThat(Cluster.httpStatus("GET", replica.api("/readiness?lag=1GB"))).isEqualTo(200);
        Awaitility.await("received WAL within 1 MB").atMost(Duration.ofSeconds(10))
                .until(() -> Cluster.httpStatus("GET", replica.api("/readiness?mode=write")) == 200);
        assertThat(Cluster.http("GET", replica.api("/readiness?mode=bogus"), null, null))
                .containsExactly("400", "{\"error\":\"mode 'bogus' is unknown; use apply (replayed WAL) or write (received WAL)\"}");
        assertThat(Cluster.httpGet(replica.api("/patroni"))).contains("\"paused\":true");
        assertThat(replica.metric("patroni_xlog_paused")).isEqualTo(1.0);
        replica.execute("SELECT pg_wal_replay_resume()");
        Awaitility.await("lag gone").atMost(Duration.ofSeconds(15))
                .until(() -> Cluster.httpStatus("GET", replica.api("/replica?lag=1MB")) == 200);
        Awaitility.await("replay no longer paused").atMost(Duration.ofSeconds(10))
                .until(() -> Cluster.httpGet(replica.api("/patroni")).contains("\"paused\":false"));
        assertThat(replica.metric("patroni_xlog_paused")).isEqualTo(0.0);

        // Patroni's times: as Python prints them in /patroni, epoch seconds in /metrics; the filler was replayed
        for (Cluster.Node n : cluster.nodes) {
            Awaitility.await(n.name + "'s postmaster start time").atMost(Duration.ofSeconds(10)).until(() ->
                    Cluster.httpGet(n.api("/patroni")).contains("\"postmaster_start_time\":\""
                            + pythonTime(n, "pg_postmaster_start_time()") + "\""));
            assertThat(n.metric("patroni_postmaster_start_time"))
                    .isCloseTo(epoch(n, "pg_postmaster_start_time()"), org.assertj.core.data.Offset.offset(1e-5));
        }
        Awaitility.await("replica's last replayed commit").atMost(Duration.ofSeconds(10)).until(() ->
                Cluster.httpGet(replica.api("/patroni")).contains("\"replayed_timestamp\":\""
                        + pythonTime(replica, "pg_last_xact_replay_timestamp()") + "\""));
        assertThat(replica.metric("patroni_xlog_replayed_timestamp"))
                .isCloseTo(epoch(replica, "pg_last_xact_replay_timestamp()"), org.assertj.core.data.Offset.offset(1e-5));
        assertThat(leader.metric("patroni_xlog_replayed_timestamp")).isEqualTo(0.0);
        assertThat(leader.metric("patroni_failsafe_mode_is_active")).isEqualTo(0.0);
        assertThat(leader.metric("patroni_version")).isEqualTo(100.0);

        // a stopped Postgres (kept stopped by maintenance mode)
        assertThat(Cluster.http("PATCH", leader.api("/config"), "{\"pause\": true}", AUTH)[0]).isEqualTo("200");
        Awaitility.await("pause seen").atMost(Duration.ofSeconds(10))
                .until(() -> Cluster.httpGet(replica.api("/patroni")).contains("\"pause\":true"));
        replica.killPostmaster();
        Awaitility.await("stopped replica's codes").atMost(Duration.ofSeconds(10))
                .until(() -> codes(replica, "GET").equals(expect(503, 503, 503, 503, 200, 503)));
        assertThat(codes(leader, "GET")).isEqualTo(expect(200, 503, 200, 200, 200, 200));
        assertThat(Cluster.http("PATCH", leader.api("/config"), "{\"pause\": false}", AUTH)[0]).isEqualTo("200");
        cluster.awaitStreamingReplicas(leader, 1, Duration.ofSeconds(30));
    }
}
