package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A replica whose WAL is gone from the leader (stopped while its slot expired and the leader recycled
 * the segments) cannot stream on the leader's timeline; within the repair bound it is cloned afresh
 * and streams again, its old data kept beside it.
 */
class StuckReplicaIT extends ClusterTest {

    @Test
    void aReplicaWhoseWalIsGoneFromTheLeaderIsClonedAfreshAndStreamsAgain() throws Exception {
        // member_slots_ttl 0: the stopped replica's slot goes once its member key expires
        cluster = Cluster.startWith(2, 6, 1, 2, "member_slots_ttl: 0", Map.of());
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(30));
        Cluster.Node replica = cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        replica.stopAgent();
        Awaitility.await(replica.name + "'s Postgres stopped").atMost(Duration.ofSeconds(30))
                .until(() -> replica.postmasterPid() == null);
        Awaitility.await(replica.name + "'s slot dropped on the leader").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> leader.queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '"
                        + replica.name + "'") == 0);
        leader.execute("CREATE TABLE t (id int)");
        for (int i = 0; i < 14; i++) {   // more than wal_keep_size (128 MB, Vigil's default) of segments
            leader.execute("INSERT INTO t SELECT generate_series(1, 1000)");
            leader.execute("SELECT pg_switch_wal()");
            leader.execute("CHECKPOINT");
        }
        String firstKept = leader.queryStrings("SELECT min(name) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'").get(0);
        System.out.println("stuck replica: the leader's oldest WAL segment is now " + firstKept + "; slots "
                + leader.queryStrings("SELECT slot_name || ' ' || coalesce(restart_lsn::text, '-') FROM pg_replication_slots")
                + "; wal_keep_size " + leader.queryStrings("SHOW wal_keep_size"));

        replica.startAgent();
        Awaitility.await(replica.name + " runs as a standby that does not stream").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> Boolean.TRUE.equals(replica.inRecovery()) && Cluster.httpGet(replica.api("/patroni"))
                        .contains("WAL receiver not streaming yet"));
        cluster.awaitStreamingReplicas(leader, 1, Duration.ofSeconds(120));
        leader.execute("INSERT INTO t VALUES (-1)");
        Awaitility.await("the new row on " + replica.name).atMost(Duration.ofSeconds(20)).ignoreExceptions()
                .until(() -> replica.queryLong("SELECT count(*) FROM t WHERE id = -1") == 1);
        try (Stream<java.nio.file.Path> siblings = Files.list(replica.dataDir().getParent())) {
            assertThat(siblings.map(p -> p.getFileName().toString()))
                    .as("the old data kept beside the new clone")
                    .anyMatch(f -> f.startsWith(replica.dataDir().getFileName() + ".failed-"));
        }
    }
}
