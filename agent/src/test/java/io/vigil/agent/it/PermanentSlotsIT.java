package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A permanent physical slot (the config's {@code slots:}) across a failover, with pg_receivewal as the
 * consumer: the slot is on every member, the replicas' copies follow the consumer's position on the
 * leader, and after the leader node dies pg_receivewal reconnects to the new primary, finds its slot and
 * receives every segment with no gap.
 */
class PermanentSlotsIT extends ClusterTest {
    private static final String PGBIN = "/usr/lib/postgresql/15/bin/";
    private static final String AUTH = "vigil:" + Cluster.REST_PASSWORD;

    @Test
    void pgReceivewalOnAPermanentSlotKeepsEverySegmentAcrossANodeDeath() throws Exception {
        cluster = Cluster.startWith(3, 6, 1, 2, "slots: {backup: {type: physical}}", Map.of());
        Cluster.Node old = cluster.awaitPrimary(Duration.ofSeconds(30));
        for (Cluster.Node n : cluster.nodes) {
            Awaitility.await("slot backup on " + n.name).atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> n.queryStrings("SELECT slot_name FROM pg_replication_slots WHERE slot_name = 'backup'"),
                            s -> s.equals(List.of("backup")));
        }
        Path wal = cluster.root.resolve("receivewal");
        Files.createDirectories(wal);
        Process receiver = receivewal(wal);
        try {
            Awaitility.await("pg_receivewal on the slot").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> old.queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'backup' AND active") == 1);
            old.execute("CREATE TABLE t (id int)");
            String beforeDeath = null;
            for (int i = 0; i < 3; i++) {
                old.execute("INSERT INTO t SELECT generate_series(1, 1000)");
                beforeDeath = old.queryStrings("SELECT pg_switch_wal()::text").get(0);
            }
            String mark = beforeDeath;
            for (Cluster.Node n : cluster.nodes) {
                Awaitility.await("slot backup on " + n.name + " at the consumer's position " + mark)
                        .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                        .until(() -> n.queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'backup'"
                                + " AND restart_lsn >= '" + mark + "'::pg_lsn") == 1);
            }
            Awaitility.await("/cluster shows the slot ready on every member").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(300))
                    .until(() -> Cluster.httpGet(old.api("/cluster")).split("\"backup\":\\{\"ready\":true", -1).length - 1 == 3);
            Cluster.Node replica = cluster.nodes.stream().filter(n -> n != old).findFirst().orElseThrow();
            assertThat(replica.metric("vigil_permanent_slot_ready")).as(replica.name + "'s slot metric").isEqualTo(1.0);
            old.killAgent();
            old.killPostmaster();
            Cluster.Node now = Awaitility.await("a new primary").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(cluster::primaries, p -> p.size() == 1 && p.get(0) != old).get(0);
            String end = null;
            for (int i = 0; i < 2; i++) {
                now.execute("INSERT INTO t SELECT generate_series(1, 1000)");
                end = now.queryStrings("SELECT pg_switch_wal()::text").get(0);
            }
            String last = end;
            Awaitility.await("pg_receivewal back on the slot on " + now.name + " past " + last)
                    .atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                    .until(() -> now.queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'backup'"
                            + " AND active AND restart_lsn >= '" + last + "'::pg_lsn") == 1);
            assertThat(receiver.isAlive()).as("pg_receivewal still runs").isTrue();
            assertThat(wal.resolve("00000002.history")).as("pg_receivewal followed the new timeline").exists();
            TreeSet<Long> segments = completeSegments(wal);
            long first = segments.first();
            long lastSegment = segments.last();
            assertThat(lastSegment - first + 1).as("segments " + first + ".." + lastSegment + " without a gap: " + segments)
                    .isEqualTo(segments.size());
            assertThat(lastSegment).as("the last segment before " + last).isGreaterThanOrEqualTo(segmentOf(last) - 1);
            String log = Files.readString(cluster.root.resolve("receivewal.log"));
            assertThat(log).doesNotContain("has already been removed");
            System.out.println("pg_receivewal: segments " + first + ".." + lastSegment + " across the failover from "
                    + old.name + " to " + now.name);
        } finally {
            receiver.destroy();
            receiver.waitFor(10, TimeUnit.SECONDS);
            List<String> log = Files.readAllLines(cluster.root.resolve("receivewal.log"));
            System.out.println("pg_receivewal's log (end):\n" + String.join("\n", log.subList(Math.max(0, log.size() - 40), log.size())));
        }
    }

    @Test
    void slotsAreCheckedBeforeTheyAreStoredAndARemovedOneIsDroppedEverywhere() throws Exception {
        cluster = Cluster.startWith(2, 6, 1, 2, "slots: {backup: {type: physical}}", Map.of());
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(30));
        Cluster.Node replica = cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        String before = Cluster.httpGet(leader.api("/config"));

        String[] logical = Cluster.http("PATCH", leader.api("/config"),
                "{\"slots\": {\"cdc\": {\"type\": \"logical\", \"database\": \"postgres\", \"plugin\": \"pgoutput\"}}}", AUTH);
        assertThat(logical[0]).isEqualTo("400");
        assertThat(logical[1]).contains("slots.cdc").contains("logical");
        String member = io.vigil.config.AgentConfig.slotName(replica.name);
        String[] clash = Cluster.http("PATCH", leader.api("/config"), "{\"slots\": {\"" + member + "\": {\"type\": \"physical\"}}}", AUTH);
        assertThat(clash[0]).isEqualTo("400");
        assertThat(clash[1]).contains("slots." + member + " is the replication slot of member " + replica.name);
        String[] typo = Cluster.http("PATCH", leader.api("/config"), "{\"slots\": {\"x\": {\"type\": \"phys\"}}}", AUTH);
        assertThat(typo[0]).isEqualTo("400");
        assertThat(Cluster.httpGet(leader.api("/config"))).as("nothing stored").isEqualTo(before);

        for (Cluster.Node n : cluster.nodes) {
            Awaitility.await("slot backup on " + n.name).atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> n.queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'backup'") == 1);
        }
        leader.execute("SELECT pg_create_physical_replication_slot('other_tool')");
        assertThat(Cluster.http("PATCH", leader.api("/config"), "{\"slots\": null}", AUTH)[0]).isEqualTo("200");
        for (Cluster.Node n : cluster.nodes) {
            Awaitility.await("slot backup dropped on " + n.name).atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> n.queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'backup'") == 0);
        }
        assertThat(leader.queryStrings("SELECT slot_name FROM pg_replication_slots WHERE slot_name = 'other_tool'"))
                .as("a slot Vigil did not make is never dropped").containsExactly("other_tool");
    }

    private Process receivewal(Path dir) throws Exception {
        String hosts = cluster.nodes.stream().map(n -> n.host).collect(Collectors.joining(","));
        String ports = cluster.nodes.stream().map(n -> String.valueOf(n.pgPort)).collect(Collectors.joining(","));
        ProcessBuilder pb = new ProcessBuilder(List.of(PGBIN + "pg_receivewal", "-D", dir.toString(), "-S", "backup",
                "--synchronous", "-s", "1", "-v", "-d", "host=" + hosts + " port=" + ports
                        + " user=replicator target_session_attrs=read-write connect_timeout=2"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(cluster.root.resolve("receivewal.log").toFile()));
        pb.environment().put("PGPASSWORD", "it-repl-pw");
        return pb.start();
    }

    /** Segment numbers of the complete segment files (any timeline), 16 MB segments. */
    private static TreeSet<Long> completeSegments(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(f -> f.matches("[0-9A-F]{24}"))
                    .map(f -> Long.parseLong(f.substring(8, 16), 16) * 256 + Long.parseLong(f.substring(16), 16))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static long segmentOf(String lsn) {
        String[] p = lsn.split("/");
        long value = (Long.parseLong(p[0], 16) << 32) | Long.parseLong(p[1], 16);
        return value / (16L * 1024 * 1024);
    }
}
