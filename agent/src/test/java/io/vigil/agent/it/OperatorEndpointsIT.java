package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** PATCH/PUT /config, /restart, /reinitialize, /reload and pause, verified by their effect on Postgres. */
class OperatorEndpointsIT extends ClusterTest {
    private static final String AUTH = "vigil:" + Cluster.REST_PASSWORD;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    @Test
    void configEditsRestartReinitializeAndReloadTakeEffect() throws Exception {
        cluster = Cluster.start(3, 6, 1, 2);
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(10));
        List<Cluster.Node> replicas = cluster.nodes.stream().filter(n -> n != leader).toList();
        Cluster.Node replica = replicas.get(0);
        Cluster.Node other = replicas.get(1);

        // PATCH /config refusals
        assertThat(Cluster.http("PATCH", leader.api("/config"), "{\"loop_wait\": 2}", null)[0]).isEqualTo("401");
        assertThat(Cluster.http("PATCH", leader.api("/config"), "{\"loop_wiat\": 2}", AUTH))
                .satisfies(r -> assertThat(r[0]).isEqualTo("400"))
                .satisfies(r -> assertThat(r[1]).startsWith("unknown key 'loop_wiat'"));
        assertThat(Cluster.http("PATCH", leader.api("/config"), "{\"loop_wait\": 5}", AUTH))
                .satisfies(r -> assertThat(r[0]).isEqualTo("400"))
                .satisfies(r -> assertThat(r[1]).contains("must not exceed ttl (6)"));
        assertThat(Cluster.http("PATCH", leader.api("/config"), "{oops", AUTH)[0]).isEqualTo("400");
        String etag = HTTP.send(HttpRequest.newBuilder(URI.create(replica.api("/config"))).build(),
                HttpResponse.BodyHandlers.discarding()).headers().firstValue("ETag").orElseThrow();
        assertThat(patch(replica, "{\"postgresql\": {\"parameters\": {\"work_mem\": \"7MB\"}}}", etag)[0]).isEqualTo("200");
        String[] stale = patch(replica, "{\"postgresql\": {\"parameters\": {\"work_mem\": \"9MB\"}}}", etag);
        assertThat(stale[0]).as(stale[1]).isEqualTo("409");

        // new timing moves the leader key to a leader lease of retry_timeout + 2 s + margin, members to a ttl lease,
        // without a leader change
        assertThat(Cluster.http("PATCH", leader.api("/config"), "{\"ttl\": 9, \"retry_timeout\": 3}", AUTH)[0])
                .isEqualTo("200");
        try (io.etcd.jetcd.Client etcd = io.etcd.jetcd.Client.builder().endpoints("http://" + cluster.etcd.endpoint()).build()) {
            Awaitility.await("leader key on a 7 s lease, member keys on 9 s ones").atMost(Duration.ofSeconds(15))
                    .until(() -> grantedTtl(etcd, "/vigil/it/leader", leader.name) == 7
                            && cluster.nodes.stream().allMatch(n -> grantedTtl(etcd, "/vigil/it/members/" + n.name, null) == 9));
        }
        assertThat(cluster.primaries()).containsExactly(leader);

        // the accepted change reaches every node's Postgres by reload, without a restart
        for (Cluster.Node n : cluster.nodes) {
            Awaitility.await("work_mem on " + n.name).atMost(Duration.ofSeconds(15)).ignoreExceptions()
                    .until(() -> n.queryStrings("SHOW work_mem").get(0), "7MB"::equals);
        }

        // a restart-only parameter: pending_restart, then POST /restart {"restart_pending": true} on the leader
        String startedBefore = leader.queryStrings("SELECT pg_postmaster_start_time()::text").get(0);
        assertThat(Cluster.http("PATCH", other.api("/config"),
                "{\"postgresql\": {\"parameters\": {\"max_files_per_process\": 900}}}", AUTH)[0]).isEqualTo("200");
        Awaitility.await("pending restart on the leader").atMost(Duration.ofSeconds(15))
                .until(() -> Cluster.httpGet(leader.api("/patroni")).contains("\"pending_restart\":true"));
        String[] wrongRole = Cluster.http("POST", replica.api("/restart"), "{\"role\": \"primary\"}", AUTH);
        assertThat(wrongRole[0]).isEqualTo("503");
        assertThat(wrongRole[1]).contains("restart conditions are not satisfied");
        assertThat(Cluster.http("POST", leader.api("/restart"), "{\"role\": \"bogus\"}", AUTH))
                .containsExactly("400", "PostgreSQL role should be either primary or replica\n");
        String[] restarted = Cluster.http("POST", leader.api("/restart"), "{\"restart_pending\": true}", AUTH);
        assertThat(restarted[0]).as(restarted[1]).isEqualTo("200");
        assertThat(leader.inRecovery()).isFalse();
        assertThat(leader.queryStrings("SHOW max_files_per_process")).containsExactly("900");
        assertThat(leader.queryStrings("SELECT pg_postmaster_start_time()::text").get(0)).isNotEqualTo(startedBefore);
        assertThat(cluster.primaries()).containsExactly(leader);
        assertThat(Cluster.httpStatus("GET", leader.api("/primary"))).isEqualTo(200);

        // reinitialize: refused on the leader, a replica re-clones and streams again with the data
        leader.execute("CREATE TABLE before_reinit AS SELECT 42 AS answer");
        assertThat(Cluster.http("POST", leader.api("/reinitialize"), "{}", AUTH))
                .containsExactly("503", "reinitialize refused: I am the leader, can not reinitialize\n");
        assertThat(Cluster.http("POST", replica.api("/reinitialize"), "{\"force\": 1, \"nope\": true}", AUTH)[0])
                .isEqualTo("400");
        String[] reinit = Cluster.http("POST", replica.api("/reinitialize"), "{\"force\": true}", AUTH);
        assertThat(reinit[0]).as(reinit[1]).isEqualTo("200");
        assertThat(reinit[1]).startsWith("reinitialize started");
        cluster.awaitStreamingReplicas(leader, 2, Duration.ofSeconds(60));
        Awaitility.await("row on the re-cloned replica").atMost(Duration.ofSeconds(20)).ignoreExceptions()
                .until(() -> replica.queryLong("SELECT answer FROM before_reinit") == 42);
        try (Stream<java.nio.file.Path> siblings = Files.list(replica.dataDir().getParent())) {
            assertThat(siblings.map(p -> p.getFileName().toString()))
                    .anyMatch(f -> f.startsWith(replica.dataDir().getFileName() + ".failed-"));
        }

        // reload: a tag added to the node config takes effect without a restart
        assertThat(Cluster.httpStatus("GET", other.api("/replica"))).isEqualTo(200);
        Files.writeString(other.config(), "tags: {noloadbalance: true}\n", StandardOpenOption.APPEND);
        String[] reloaded = Cluster.http("POST", other.api("/reload"), null, AUTH);
        assertThat(reloaded[0]).as(reloaded[1]).isEqualTo("200");
        Awaitility.await("noloadbalance in force").atMost(Duration.ofSeconds(10))
                .until(() -> Cluster.httpStatus("GET", other.api("/replica")) == 503);
        Files.writeString(other.config(), "no_such_key: 1\n", StandardOpenOption.APPEND);
        String[] badReload = Cluster.http("POST", other.api("/reload"), null, AUTH);
        assertThat(badReload[0]).isEqualTo("503");
        assertThat(badReload[1]).contains("unknown key 'no_such_key'").contains("nothing was reloaded");
        assertThat(Cluster.httpStatus("GET", other.api("/replica"))).isEqualTo(503);
    }

    @Test
    void pausedClusterLeavesACrashedPrimaryAloneUntilResumed() throws Exception {
        cluster = Cluster.start(2, 6, 1, 2);
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(10));
        Cluster.Node replica = cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        assertThat(Cluster.http("PATCH", replica.api("/config"), "{\"pause\": true}", AUTH)[0]).isEqualTo("200");
        Awaitility.await("both agents see the pause").atMost(Duration.ofSeconds(10)).until(() ->
                cluster.nodes.stream().allMatch(n -> Cluster.httpGet(n.api("/patroni")).contains("\"pause\":true")));
        assertThat(Cluster.http("POST", leader.api("/switchover"), "{\"leader\":\"" + leader.name + "\"}", AUTH))
                .containsExactly("400", "Switchover is possible only to a specific candidate in a paused state\n");

        leader.killPostmaster();
        // For longer than ttl: nobody restarts or promotes, and the leader keeps its key.
        Awaitility.await("nothing acts while paused").during(Duration.ofSeconds(9)).atMost(Duration.ofSeconds(12))
                .pollInterval(Duration.ofMillis(300))
                .until(() -> cluster.primaries().isEmpty() && leader.postmasterPid() == null
                        && Boolean.TRUE.equals(replica.inRecovery()));
        assertThat(Cluster.httpGet(replica.api("/cluster"))).contains("\"name\":\"" + leader.name + "\",\"role\":\"leader\"");

        assertThat(Cluster.http("PATCH", replica.api("/config"), "{\"pause\": null}", AUTH)[0]).isEqualTo("200");
        Cluster.Node after = cluster.awaitPrimary(Duration.ofSeconds(30));
        assertThat(after).isEqualTo(leader);
        cluster.awaitStreamingReplicas(leader, 1, Duration.ofSeconds(30));
    }

    @Test
    void aReplicaClonesWithBasebackupOptionsAndAReinitMovesItsWalDirectoryAside() throws Exception {
        cluster = Cluster.prepare(2, 6, 1, 2);
        for (Cluster.Node n : cluster.nodes) {
            String yml = Files.readString(n.config());
            Files.writeString(n.config(), yml.replace("  parameters: {shared_buffers", "  basebackup: [{max-rate: 64M},"
                    + " {waldir: " + n.dir.resolve("wal") + "}, {label: vigil-it}]\n  parameters: {shared_buffers"));
            n.startAgent();
        }
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(60));
        Cluster.Node replica = cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        cluster.awaitStreamingReplicas(leader, 1, Duration.ofSeconds(60));
        java.nio.file.Path walDir = replica.dir.resolve("wal");
        assertThat(Files.readSymbolicLink(replica.dataDir().resolve("pg_wal"))).isEqualTo(walDir);
        leader.execute("CREATE TABLE cloned_with_options AS SELECT 7 AS n");
        Awaitility.await("row on the replica").atMost(Duration.ofSeconds(20)).ignoreExceptions()
                .until(() -> replica.queryLong("SELECT n FROM cloned_with_options") == 7);

        String[] reinit = Cluster.http("POST", replica.api("/reinitialize"), "{\"force\": true}", AUTH);
        assertThat(reinit[0]).as(reinit[1]).isEqualTo("200");
        Awaitility.await("the old data moved aside").atMost(Duration.ofSeconds(60))
                .until(() -> siblingsStartingWith(replica, "data.failed-").size() == 1);
        cluster.awaitStreamingReplicas(leader, 1, Duration.ofSeconds(60));
        assertThat(Files.readSymbolicLink(replica.dataDir().resolve("pg_wal"))).isEqualTo(walDir);
        List<java.nio.file.Path> walAside = siblingsStartingWith(replica, "wal.failed-");
        assertThat(walAside).as("the old WAL moved aside with its data").hasSize(1);
        java.nio.file.Path dataAside = siblingsStartingWith(replica, "data.failed-").get(0);
        assertThat(Files.readSymbolicLink(dataAside.resolve("pg_wal"))).isEqualTo(walAside.get(0));
        leader.execute("INSERT INTO cloned_with_options VALUES (8)");
        Awaitility.await("rows on the re-cloned replica").atMost(Duration.ofSeconds(20)).ignoreExceptions()
                .until(() -> replica.queryLong("SELECT sum(n) FROM cloned_with_options") == 15);
    }

    private static List<java.nio.file.Path> siblingsStartingWith(Cluster.Node node, String prefix) throws java.io.IOException {
        try (Stream<java.nio.file.Path> entries = Files.list(node.dir)) {
            return entries.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
        }
    }

    private static String[] patch(Cluster.Node node, String body, String ifMatch) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(node.api("/config")))
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body)).header("If-Match", ifMatch)
                .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(AUTH.getBytes()))
                .build(), HttpResponse.BodyHandlers.ofString());
        return new String[] {String.valueOf(r.statusCode()), r.body()};
    }

    /** The granted TTL of the lease {@code key} lives on (-1: no such key, or its value is not {@code value}). */
    static long grantedTtl(io.etcd.jetcd.Client etcd, String key, String value) {
        try {
            var kv = etcd.getKVClient().get(io.etcd.jetcd.ByteSequence.from(key.getBytes())).get().getKvs();
            if (kv.isEmpty() || (value != null && !kv.get(0).getValue().toString().equals(value))) return -1;
            return etcd.getLeaseClient().timeToLive(kv.get(0).getLease(), io.etcd.jetcd.options.LeaseOption.DEFAULT)
                    .get().getGrantedTTL();
        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("etcd read of " + key + " failed", e);
        }
    }
}
