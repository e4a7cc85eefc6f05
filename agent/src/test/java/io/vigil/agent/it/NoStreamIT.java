package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The nostream tag (Patroni 4): a replica that replays WAL from the archive only. Tagged through
 * POST /reload, it stops streaming, its slot on the leader goes, rows still reach it through the
 * archive, and after the leader node dies it follows the new primary's timeline from the archive.
 */
class NoStreamIT extends ClusterTest {
    private static final String AUTH = "vigil:" + Cluster.REST_PASSWORD;
    private Path archive;

    @AfterEach
    void removeArchive() {
        if (archive != null) Processes.deleteTree(archive);
    }

    @Test
    void aNostreamReplicaReplaysFromTheArchiveAndFollowsANewPrimary() throws Exception {
        archive = Files.createTempDirectory("vigil-it-archive");
        Processes.chownToPgUser(archive);
        String a = archive.toString();
        cluster = Cluster.startWith(3, 6, 1, 2, "postgresql: {parameters: {archive_mode: 'on', archive_command: 'test ! -f "
                + a + "/%f && cp %p " + a + "/%f', restore_command: 'cp " + a + "/%f %p'}}", Map.of());
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(30));
        List<Cluster.Node> replicas = cluster.nodes.stream().filter(n -> n != leader).toList();
        Cluster.Node archived = replicas.get(0);
        Cluster.Node streaming = replicas.get(1);

        Files.writeString(archived.config(), "tags: {nostream: true}\n", StandardOpenOption.APPEND);
        String[] reloaded = Cluster.http("POST", archived.api("/reload"), null, AUTH);
        assertThat(reloaded[0]).as(reloaded[1]).isEqualTo("200");
        Awaitility.await(archived.name + " no longer streams, and its slot is gone").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> leader.queryLong("SELECT count(*) FROM pg_stat_replication WHERE application_name = '"
                        + archived.name + "'") == 0 && leader.queryLong("SELECT count(*) FROM pg_replication_slots"
                        + " WHERE slot_name = '" + archived.name + "'") == 0);
        assertThat(archived.inRecovery()).isTrue();
        assertThat(Cluster.httpGet(archived.api("/patroni"))).contains("\"nostream\":true");
        Awaitility.await("patroni_postgres_in_archive_recovery on " + archived.name).atMost(Duration.ofSeconds(10))
                .ignoreExceptions().until(() -> archived.metric("patroni_postgres_in_archive_recovery") == 1.0);
        assertThat(Cluster.httpStatus("GET", archived.api("/replica"))).isEqualTo(200);

        leader.execute("CREATE TABLE t (id int)");
        leader.execute("INSERT INTO t VALUES (1)");
        leader.execute("SELECT pg_switch_wal()");
        Awaitility.await("row 1 on " + archived.name + " through the archive").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> archived.queryStrings("SELECT id FROM t"), rows -> rows.equals(List.of("1")));
        leader.execute("INSERT INTO t VALUES (2)");   // on the streaming replica only: it is ahead
        Awaitility.await("row 2 on " + streaming.name).atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> streaming.queryStrings("SELECT id FROM t ORDER BY 1"), rows -> rows.equals(List.of("1", "2")));

        leader.killAgent();
        leader.killPostmaster();
        Cluster.Node now = Awaitility.await("a new primary").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(cluster::primaries, p -> p.size() == 1 && p.get(0) != leader).get(0);
        assertThat(now).as("the streaming replica is ahead and takes over").isSameAs(streaming);
        now.execute("INSERT INTO t VALUES (3)");
        now.execute("SELECT pg_switch_wal()");
        // row 3 exists only on the new primary's timeline: seeing it, the replica follows that timeline
        Awaitility.await("row 3 on " + archived.name + ", on the new timeline, through the archive")
                .atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> archived.queryStrings("SELECT id FROM t ORDER BY 1"), rows -> rows.equals(List.of("1", "2", "3")));
        assertThat(now.queryLong("SELECT count(*) FROM pg_stat_replication WHERE application_name = '" + archived.name + "'"))
                .as(archived.name + " never streams from the new primary").isZero();
        assertThat(archived.inRecovery()).isTrue();
    }
}
