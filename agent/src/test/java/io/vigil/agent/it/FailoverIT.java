package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Bootstrap, failover and rejoin on a real 3-node cluster (real etcd, real Postgres, real agents). */
class FailoverIT extends ClusterTest {

    @Test
    void bootstrapGivesOnePrimaryAndTwoStreamingReplicasThatReceiveWrites() throws Exception {
        cluster = Cluster.start(3, 6, 1, 2);
        Cluster.Node primary = cluster.awaitPrimary(Duration.ofSeconds(10));
        List<Cluster.Node> replicas = cluster.nodes.stream().filter(n -> n != primary).toList();

        for (Cluster.Node r : replicas) {
            Awaitility.await(r.name + " answers as a standby").atMost(Duration.ofSeconds(20))
                    .until(r::inRecovery, Boolean.TRUE::equals);
        }
        assertThat(primary.queryStrings("SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'"
                + " ORDER BY 1")).containsExactlyElementsOf(replicas.stream().map(n -> n.name).sorted().toList());
        assertThat(primary.queryStrings("SELECT slot_name FROM pg_replication_slots WHERE active ORDER BY 1"))
                .containsExactlyElementsOf(replicas.stream().map(n -> n.name).sorted().toList());

        primary.execute("CREATE TABLE orders (id int PRIMARY KEY, item text)");
        primary.execute("INSERT INTO orders VALUES (1, 'first')");
        for (Cluster.Node r : replicas) {
            Awaitility.await("row on " + r.name).atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> r.queryStrings("SELECT item FROM orders WHERE id = 1"), rows -> rows.equals(List.of("first")));
        }
        assertThat(Cluster.httpStatus("GET", primary.api("/primary"))).isEqualTo(200);
        assertThat(Cluster.httpStatus("GET", replicas.get(0).api("/primary"))).isEqualTo(503);
        assertThat(Cluster.httpStatus("GET", replicas.get(0).api("/replica"))).isEqualTo(200);
        assertThat(Cluster.httpStatus("GET", primary.api("/replica"))).isEqualTo(503);
    }

    @Test
    void aReplicaWhosePortIsTakenKeepsOneCloneAndStreamsOnceThePortIsFree() throws Exception {
        cluster = Cluster.start(3, 6, 1, 2);
        Cluster.Node primary = cluster.awaitPrimary(Duration.ofSeconds(10));
        Cluster.Node replica = cluster.nodes.stream().filter(n -> n != primary).findFirst().orElseThrow();
        primary.execute("CREATE TABLE kept (id int)");
        primary.execute("INSERT INTO kept VALUES (7)");

        // a replacement host: empty data directory, and something else listening on Postgres's port
        replica.stopAgent();
        Awaitility.await(replica.name + "'s Postgres stopped").atMost(Duration.ofSeconds(30))
                .until(() -> replica.postmasterPid() == null);
        Processes.run(List.of("rm", "-rf", replica.dataDir().toString()));
        try (ServerSocket squatter = takePort(replica.pgPort)) {
            replica.startAgent();
            awaitThreeFailedStartsWithoutCopies(replica,
                    "a start that fails for want of a port is retried, not answered with another clone");
            assertThat(replica.dataDir().resolve("PG_VERSION")).exists();
        }
        cluster.awaitStreamingReplicas(primary, 2, Duration.ofSeconds(60));
        Awaitility.await("the row on " + replica.name).atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> replica.queryStrings("SELECT id FROM kept"), rows -> rows.equals(List.of("7")));
    }

    @Test
    void failedClonesPauseLongerEachTimeAndTouchNothingThenTheReplicaStreams() throws Exception {
        cluster = Cluster.start(2, 6, 1, 2);
        Cluster.Node primary = cluster.awaitPrimary(Duration.ofSeconds(10));
        Cluster.Node replica = cluster.nodes.stream().filter(n -> n != primary).findFirst().orElseThrow();
        replica.stopAgent();
        Awaitility.await(replica.name + "'s Postgres stopped").atMost(Duration.ofSeconds(30))
                .until(() -> replica.postmasterPid() == null);
        // a data directory that holds a file but no database: every clone into it fails
        Processes.run(List.of("rm", "-rf", replica.dataDir().toString()));
        Files.createDirectories(replica.dataDir());
        Path stray = Files.writeString(replica.dataDir().resolve("notes.txt"), "the operator's");
        Processes.chownToPgUser(replica.dir);
        replica.startAgent();
        Path agentLog = replica.dir.resolve("agent.log");
        Awaitility.await("a pause after the second failed clone").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> Files.readString(agentLog).contains("2 clone(s) from leader " + primary.name
                        + " failed in a row; the next after a pause of 2 s"));
        assertThat(Files.readString(stray)).isEqualTo("the operator's");

        Files.delete(stray);
        cluster.awaitStreamingReplicas(primary, 1, Duration.ofSeconds(60));
    }

    @Test
    void aBootstrapThatCannotStartLeavesNothingBehindAndSucceedsOnceThePortIsFree() throws Exception {
        cluster = Cluster.prepare(1, 6, 1, 2);
        Cluster.Node node = cluster.nodes.get(0);
        Path walDir = node.dir.resolve("wal");
        Files.writeString(node.config(), "  initdb: [{waldir: " + walDir + "}, {encoding: UTF8}]\n",
                java.nio.file.StandardOpenOption.APPEND);
        try (ServerSocket squatter = takePort(node.pgPort)) {
            node.startAgent();
            awaitThreeFailedStartsWithoutCopies(node, "a failed bootstrap's initdb is removed, not kept as a copy per attempt");
            String log = Files.readString(node.dir.resolve("agent.log"));
            assertThat(log).as("initdb ran again into the WAL directory").doesNotContain("exists but is not empty");
            assertThat(log).as("the second failure waits longer than the first")
                    .contains("2 bootstrap(s) on this node failed in a row; the next after a pause of 2 s");
        }
        Cluster.Node primary = cluster.awaitPrimary(Duration.ofSeconds(60));
        primary.execute("CREATE TABLE after_bootstrap (id int)");
        primary.execute("INSERT INTO after_bootstrap VALUES (1)");
        assertThat(primary.queryStrings("SELECT id FROM after_bootstrap")).containsExactly("1");
        assertThat(Files.readSymbolicLink(node.dataDir().resolve("pg_wal"))).isEqualTo(walDir);
    }

    @Test
    void killedPrimaryIsReplacedAndRejoinsAsStreamingReplicaOnTheNewTimeline() throws Exception {
        cluster = Cluster.start(3, 6, 1, 2);
        Cluster.Node old = cluster.awaitPrimary(Duration.ofSeconds(10));
        old.execute("CREATE TABLE orders (id int PRIMARY KEY)");
        old.execute("INSERT INTO orders VALUES (42)");
        long lsn = old.queryLong("SELECT pg_current_wal_lsn() - '0/0'");
        for (Cluster.Node r : cluster.nodes) {
            if (r == old) continue;
            Awaitility.await("replica caught up").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> r.queryLong("SELECT pg_last_wal_replay_lsn() - '0/0'") >= lsn);
        }
        long oldTimeline = old.timeline();

        old.killAgent();
        old.killPostmaster();

        Cluster.Node promoted = cluster.awaitPrimary(Duration.ofSeconds(60));
        assertThat(promoted).isNotSameAs(old);
        assertThat(promoted.queryLong("SELECT count(*) FROM orders WHERE id = 42")).isEqualTo(1);
        Cluster.Node other = cluster.nodes.stream().filter(n -> n != old && n != promoted).findFirst().orElseThrow();
        Awaitility.await("other replica streams from the new primary").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> promoted.queryStrings("SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'"),
                        names -> names.contains(other.name));
        Awaitility.await("new timeline").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> promoted.queryLong("SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int"),
                        tl -> tl > oldTimeline);
        promoted.execute("INSERT INTO orders VALUES (43)");

        old.startAgent();
        cluster.awaitStreamingReplicas(promoted, 2, Duration.ofSeconds(60));
        Awaitility.await("rejoined node answers as a standby").atMost(Duration.ofSeconds(20))
                .until(old::inRecovery, Boolean.TRUE::equals);
        Awaitility.await("row written after failover reaches the rejoined node").atMost(Duration.ofSeconds(20))
                .ignoreExceptions().until(() -> old.queryLong("SELECT count(*) FROM orders WHERE id = 43") == 1);
        assertThat(cluster.primaries()).containsExactly(promoted);
        assertThat(Cluster.httpGet(promoted.api("/history"))).contains("\"" + promoted.name + "\"");
        // the slots it kept for the others as primary would pin WAL on it as a standby until its disk is full
        Awaitility.await("the rejoined node drops the slots it had as primary").atMost(Duration.ofSeconds(20))
                .ignoreExceptions().until(() -> old.queryLong("SELECT count(*) FROM pg_replication_slots") == 0);
    }

    /** Asynchronous mode's promise: a failover that would lose more than maximum_lag_on_failover does not happen. */
    @Test
    void aReplicaFurtherBehindThanMaximumLagOnFailoverIsNotPromotedAndTheOldPrimaryReturnsWithEveryRow() throws Exception {
        cluster = Cluster.startWith(2, 6, 1, 2, "maximum_lag_on_failover: 1048576", Map.of());
        Cluster.Node old = cluster.awaitPrimary(Duration.ofSeconds(30));
        Cluster.Node replica = cluster.nodes.stream().filter(n -> n != old).findFirst().orElseThrow();
        cluster.awaitStreamingReplicas(old, 1, Duration.ofSeconds(30));
        old.execute("CREATE TABLE big (id int PRIMARY KEY, pad text)");
        long receiver = replica.queryLong("SELECT pid FROM pg_stat_wal_receiver");
        Processes.signal(receiver, "STOP");
        try {
            old.execute("INSERT INTO big SELECT g, repeat('x', 1000) FROM generate_series(1, 3000) g");   // about 3.5 MB of WAL
            Awaitility.await("the leader publishes a position more than 1 MB past the replica")
                    .atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .until(() -> Cluster.httpStatus("GET", replica.api("/replica?lag=1048576")) == 503);
            old.killAgent();
            old.killPostmaster();
            Path agentLog = replica.dir.resolve("agent.log");
            String refusal = "behind the last leader position > maximum_lag_on_failover";
            Awaitility.await(replica.name + " refuses to promote, or promotes").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> Files.readString(agentLog).contains(refusal) || Boolean.FALSE.equals(replica.inRecovery()));
            assertThat(replica.inRecovery()).as(replica.name + " still a standby").isTrue();
            assertThat(cluster.primaries()).isEmpty();
            assertThat(Files.readString(agentLog)).contains(refusal);
            // the receiver stays stopped until the old primary leads again: WAL already in its socket
            // buffer would otherwise bring the replica within the limit, and it would rightly promote
            old.startAgent();
            Cluster.Node back = cluster.awaitPrimary(Duration.ofSeconds(60));
            assertThat(back).isSameAs(old);
        } finally {
            Processes.signal(receiver, "CONT");
        }
        cluster.awaitStreamingReplicas(old, 1, Duration.ofSeconds(60));
        Awaitility.await("every row reaches the replica").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> replica.queryLong("SELECT count(*) FROM big") == 3000);
        assertThat(replica.inRecovery()).isTrue();
    }

    /**
     * All nodes stopped, replicas first, and started again with the old leader last: only it has the commits
     * it acknowledged alone, so the others wait for it instead of promoting without them.
     */
    @Test
    void afterAllNodesRestartTheCleanlyStoppedLeaderIsWaitedForAndKeepsItsLastCommits() throws Exception {
        cluster = Cluster.start(3, 10, 1, 2);
        Cluster.Node old = cluster.awaitPrimary(Duration.ofSeconds(30));
        List<Cluster.Node> replicas = cluster.nodes.stream().filter(n -> n != old).toList();
        cluster.awaitStreamingReplicas(old, 2, Duration.ofSeconds(30));
        old.execute("CREATE TABLE kept (id int PRIMARY KEY)");
        for (Cluster.Node r : replicas) {
            Awaitility.await("table on " + r.name).atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> r.queryLong("SELECT count(*) FROM kept") == 0);
            r.stopAgent();
        }
        old.execute("INSERT INTO kept SELECT generate_series(1, 100)");
        old.stopAgent();

        for (Cluster.Node r : replicas) r.startAgent();
        String waiting = "the last leader " + old.name + " shut down cleanly";
        Awaitility.await("a replica waits for " + old.name + ", or one promotes").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> !cluster.primaries().isEmpty() || replicas.stream().anyMatch(r -> logContains(r, waiting)));
        assertThat(cluster.primaries()).as("primaries before " + old.name + " is back").isEmpty();

        old.startAgent();
        Cluster.Node primary = cluster.awaitPrimary(Duration.ofSeconds(60));
        assertThat(primary).isSameAs(old);
        assertThat(primary.queryLong("SELECT count(*) FROM kept")).as("acknowledged rows on the primary").isEqualTo(100);
        cluster.awaitStreamingReplicas(primary, 2, Duration.ofSeconds(60));
        for (Cluster.Node r : replicas) {
            Awaitility.await("every row on " + r.name).atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> r.queryLong("SELECT count(*) FROM kept") == 100);
        }
    }

    private static boolean logContains(Cluster.Node node, String text) {
        try {
            return Files.readString(node.dir.resolve("agent.log")).contains(text);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void crashedPostmasterOfTheLeaderIsRestartedInPlaceOnTheSameTimeline() throws Exception {
        cluster = Cluster.start(3, 6, 1, 2);
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(10));
        long timeline = leader.timeline();
        Long before = leader.postmasterPid();
        awaitWatchConnection(leader);   // the agent learns of the kill from this backend's exit

        leader.killPostmaster();

        Awaitility.await("postmaster restarted").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> leader.postmasterPid() != null && !leader.postmasterPid().equals(before)
                        && Boolean.FALSE.equals(leader.inRecovery()));
        assertThat(leader.timeline()).isEqualTo(timeline);
        assertThat(leader.acceptsWrite()).isTrue();
        assertThat(cluster.primaries()).containsExactly(leader);
        cluster.awaitStreamingReplicas(leader, 2, Duration.ofSeconds(30));
        awaitWatchConnection(leader);
    }

    private static void awaitWatchConnection(Cluster.Node node) {
        Awaitility.await(node.name + "'s agent watches its postmaster over an idle connection")
                .atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> node.queryStrings("SELECT state FROM pg_stat_activity WHERE application_name = 'vigil-watch'"),
                        states -> states.equals(List.of("idle")));
    }

    /** Something else listening on {@code port}, as Postgres would need it. */
    private static ServerSocket takePort(int port) throws java.io.IOException {
        ServerSocket squatter = new ServerSocket();
        squatter.setReuseAddress(true);
        squatter.bind(new InetSocketAddress("127.0.0.1", port));
        return squatter;
    }

    /** Three failed starts in the node's agent log, each naming the port; no data directory moved aside. */
    private static void awaitThreeFailedStartsWithoutCopies(Cluster.Node node, String why) throws java.io.IOException {
        Path agentLog = node.dir.resolve("agent.log");
        Awaitility.await("three failed starts on " + node.name + ", each naming the port").atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> Files.readString(agentLog).split("Address already in use", -1).length - 1 >= 3);
        try (var entries = Files.list(node.dir)) {
            assertThat(entries.map(p -> p.getFileName().toString())).as(why).noneMatch(name -> name.startsWith("data.failed"));
        }
    }
}
