package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Faults injected into a cluster whose nodes and etcd members are separate hosts (network
 * namespaces), under a continuous writer and a split-brain probe, in synchronous mode and in
 * asynchronous mode. After each healed fault: one primary with every other node streaming, every
 * acknowledged commit on it (asynchronous: missing only past a fork, by at most
 * maximum_lag_on_failover of WAL), no two nodes accepting writes at the same time, and etcd's
 * timeline history matching the primary.
 *
 * <p>CI runs each fault once. A campaign: {@code chaos/run.sh --rounds 200 --seed 42} (random
 * faults, seeded; the seed is printed so a failure can be replayed).
 */
class ChaosIT extends ClusterTest {
    /** With loop_wait 1 and retry_timeout 2: a 6 s leader lease, renewed beside the loop (up to 2 s after its last cycle). */
    private static final int TTL = 8;
    /** Patroni's default (1 MB): in asynchronous mode, the most WAL a failover may leave behind. */
    private static final long MAX_LAG_ON_FAILOVER = 1_048_576;

    enum Fault {
        KILL_PRIMARY_NODE, KILL_PRIMARY_AGENT, KILL_PRIMARY_POSTMASTER, FREEZE_PRIMARY_AGENT,
        CUT_PRIMARY_FROM_ETCD, ISOLATE_PRIMARY, ISOLATE_REPLICA, ETCD_QUORUM_LOSS, FREEZE_PRIMARY_POSTMASTER,
        FILL_PRIMARY_DISK, REBOOT_ALL, ETCD_QUORUM_LOSS_FAILSAFE;

        /** Every fault, or those named in -Dchaos.faults (comma-separated), to replay one kind. */
        static List<Fault> runnable() {
            String only = System.getProperty("chaos.faults", "").trim();
            List<Fault> all = new ArrayList<>();
            if (only.isEmpty()) {
                all.addAll(List.of(values()));
            } else {
                for (String name : only.split(",")) {
                    try {
                        all.add(valueOf(name.trim().toUpperCase(java.util.Locale.ROOT)));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("unknown fault '" + name.trim() + "' in chaos.faults; known: "
                                + List.of(values()), e);
                    }
                }
            }
            return all;
        }
    }

    @Test
    void everyFaultHealsWithoutLosingAnAcknowledgedCommitOrTwoWritablePrimaries() throws Exception {
        campaign(true);
    }

    /** Asynchronous mode: what a failover loses is at most maximum_lag_on_failover of WAL past the fork. */
    @Test
    void asynchronouslyAFailoverLosesAtMostMaximumLagOnFailoverAndNeverLeavesTwoWritablePrimaries() throws Exception {
        campaign(false);
    }

    private void campaign(boolean synchronous) throws Exception {
        assumeTrue(Network.available(), "network namespaces need root and iproute2");
        String mode = synchronous ? "synchronous" : "asynchronous";
        int rounds = Integer.getInteger("chaos.rounds", 0);
        long seed = Long.getLong("chaos.seed", System.nanoTime());
        List<Fault> plan = new ArrayList<>();
        if (rounds <= 0) {
            plan.addAll(Fault.runnable());
        } else {
            Random random = new Random(seed);
            List<Fault> faults = Fault.runnable();
            for (int i = 0; i < rounds; i++) plan.add(faults.get(random.nextInt(faults.size())));
            System.out.println("chaos campaign (" + mode + "): " + rounds + " rounds, seed " + seed);
        }

        cluster = Cluster.startIsolated(3, TTL, 1, 2,
                synchronous ? "synchronous_mode: true" : "maximum_lag_on_failover: " + MAX_LAG_ON_FAILOVER);
        Cluster.Node primary = cluster.awaitPrimary(Duration.ofSeconds(30));
        primary.execute("CREATE TABLE acked (id bigint PRIMARY KEY)");
        primary.execute("CREATE TABLE probe (node text, at timestamptz DEFAULT now())");
        awaitHealthy(Duration.ofSeconds(60), synchronous);
        long bound = Math.max(3_600_000L, plan.size() * 60_000L);   // a minute per round at most
        Writer writer = new Writer(cluster.primaryUrl(), 10, bound).start();
        Set<Long> lostSoFar = new HashSet<>();
        long furthestPastFork = 0;
        int round = 0;
        int fastTakeovers = 0;
        int otherTakeovers = 0;
        try (SplitBrainProbe probe = new SplitBrainProbe(cluster.nodes, bound).start()) {
            for (Fault fault : plan) {
                round++;
                primary = awaitHealthy(Duration.ofSeconds(90), synchronous);
                // A real cluster writes far more WAL between failovers than this writer. Without it every
                // timeline switch copies the same segment, and wal_keep_size keeps all copies: dozens of
                // 16 MB files after a long campaign. A segment switch per round keeps WAL moving.
                primary.execute("SELECT pg_switch_wal()");
                int before = writer.acked.size();
                Awaitility.await("writes flowing before round " + round).atMost(Duration.ofSeconds(30))
                        .until(() -> writer.acked.size() > before + 10);
                long started = System.nanoTime();
                inject(fault, primary);
                Cluster.Node now = awaitHealthy(Duration.ofSeconds(120), synchronous);
                int ackedBefore = writer.acked.size();
                Awaitility.await("writes resume after " + fault).atMost(Duration.ofSeconds(60))
                        .until(() -> writer.acked.size() > ackedBefore + 10);
                List<Writer.Ack> lost = missing(writer, now).stream().filter(a -> !lostSoFar.contains(a.id())).toList();
                List<String> overlaps = probe.overlaps();
                LostWrites.Verdict verdict = LostWrites.judge(lost, now.timelineHistory(), now.writeTimeline());
                String how = "";
                if (now != primary) {
                    boolean fast = lastHistoryReason(now).startsWith("fast takeover");
                    how = fast ? " (fast takeover)" : " (lease)";
                    if (fast) fastTakeovers++; else otherTakeovers++;
                }
                System.out.printf("chaos round %d %s: %s -> %s%s in %d ms, %d acknowledged, %d lost (%d bytes of WAL past"
                                + " the fork), %d overlaps%n", round, fault, primary.name, now.name, how,
                        (System.nanoTime() - started) / 1_000_000, writer.acked.size(), lost.size(),
                        verdict.bytesPastFork(), overlaps.size());
                String where = fault + " (" + mode + ", seed " + seed + ")";
                if (synchronous) {
                    assertThat(lost).as("acknowledged commits missing after " + where).isEmpty();
                } else {
                    assertThat(verdict.violations()).as("acknowledged commits missing after " + where).isEmpty();
                    assertThat(verdict.bytesPastFork()).as("bytes of WAL lost past the fork after " + where
                            + ", against maximum_lag_on_failover").isLessThanOrEqualTo(MAX_LAG_ON_FAILOVER);
                }
                assertThat(overlaps).as("two writable primaries during " + where).isEmpty();
                assertHistoryMatches(now);
                lost.forEach(a -> lostSoFar.add(a.id()));
                furthestPastFork = Math.max(furthestPastFork, verdict.bytesPastFork());
            }
        } finally {
            writer.close();
        }
        if (synchronous) {
            System.out.printf("chaos: %d rounds, %d acknowledged commits, 0 lost, 0 overlapping writers; new leaders:"
                    + " %d by fast takeover, %d after the lease%n", round, writer.acked.size(), fastTakeovers, otherTakeovers);
        } else {
            System.out.printf("chaos (asynchronous): %d rounds, %d acknowledged commits, %d lost, at most %d bytes of WAL"
                            + " past a fork (maximum_lag_on_failover %d), 0 overlapping writers%n", round,
                    writer.acked.size(), lostSoFar.size(), furthestPastFork, MAX_LAG_ON_FAILOVER);
        }
    }

    private void inject(Fault fault, Cluster.Node primary) throws Exception {
        Duration hold = Duration.ofSeconds(2L * TTL);
        Network net = cluster.net;
        switch (fault) {
            case KILL_PRIMARY_NODE -> {
                primary.killAgent();
                primary.killPostmaster();
                awaitOtherPrimary(primary);
                primary.startAgent();
            }
            case KILL_PRIMARY_AGENT -> {
                primary.killAgent();
                awaitOtherPrimary(primary);
                primary.startAgent();
            }
            case KILL_PRIMARY_POSTMASTER -> primary.killPostmaster();
            case FREEZE_PRIMARY_AGENT -> {
                Processes.signal(primary.agentPid(), "STOP");
                try {
                    holdFor(hold);
                } finally {
                    Processes.signal(primary.agentPid(), "CONT");
                }
            }
            case CUT_PRIMARY_FROM_ETCD -> {
                for (String e : EtcdCluster.HOSTS) net.cut(primary.name, e);
                try {
                    holdFor(hold);
                } finally {
                    for (String e : EtcdCluster.HOSTS) net.heal(primary.name, e);
                }
            }
            case ISOLATE_PRIMARY -> isolate(primary, hold);
            case ISOLATE_REPLICA -> isolate(cluster.nodes.stream().filter(n -> n != primary).findFirst().orElseThrow(), hold);
            case FREEZE_PRIMARY_POSTMASTER -> {
                Long pid = primary.postmasterPid();
                if (pid == null) throw new AssertionError(primary.name + " has no postmaster to freeze");
                Processes.signal(pid, "STOP");
                try {
                    holdFor(hold);
                } finally {
                    Processes.signal(pid, "CONT");
                }
            }
            case REBOOT_ALL -> {
                for (Cluster.Node n : cluster.nodes) if (n != primary) n.stopAgent();
                primary.stopAgent();
                for (Cluster.Node n : cluster.nodes) n.startAgent();
            }
            case FILL_PRIMARY_DISK -> {
                primary.fillDisk();
                try {
                    holdFor(hold);
                } finally {
                    primary.freeDisk();
                }
            }
            case ETCD_QUORUM_LOSS -> quorumLoss(hold);
            case ETCD_QUORUM_LOSS_FAILSAFE -> {
                // The primary keeps accepting writes without etcd while every member confirms it follows it
                setFailsafe(primary, true);
                try {
                    quorumLoss(hold);
                } finally {
                    setFailsafe(primary, false);
                }
            }
        }
    }

    private void quorumLoss(Duration hold) {
        EtcdCluster etcd = (EtcdCluster) cluster.etcd;
        etcd.stopMember(0);
        etcd.stopMember(1);
        try {
            holdFor(hold);
        } finally {
            etcd.startMember(0);
            etcd.startMember(1);
        }
    }

    /** PATCH /config failsafe_mode (retried while etcd recovers), then every agent applies it. */
    private void setFailsafe(Cluster.Node via, boolean on) {
        String auth = "vigil:" + Cluster.REST_PASSWORD;
        Awaitility.await("PATCH failsafe_mode " + on).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> "200".equals(Cluster.http("PATCH", via.api("/config"), "{\"failsafe_mode\": " + on + "}", auth)[0]));
        int wanted = on ? 200 : 502;
        Awaitility.await("every agent has failsafe_mode " + on).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> cluster.nodes.stream().allMatch(n -> Cluster.httpStatus("GET", n.api("/failsafe")) == wanted));
    }

    private void isolate(Cluster.Node node, Duration hold) {
        cluster.net.isolate(node.name, true);
        try {
            holdFor(hold);
        } finally {
            cluster.net.isolate(node.name, false);
        }
    }

    /** A bounded wait while a fault is in place (the point is to let it last, not to synchronise). */
    private static void holdFor(Duration d) {
        Awaitility.await().pollDelay(d).atMost(d.plusSeconds(1)).until(() -> true);
    }

    private void awaitOtherPrimary(Cluster.Node old) {
        Awaitility.await("a primary other than " + old.name).atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> cluster.primaries().stream().anyMatch(n -> n != old));
    }

    /** One primary, every other node streaming from it, and (synchronous mode) a standby named in the sync key. */
    private Cluster.Node awaitHealthy(Duration within, boolean synchronous) {
        Cluster.Node p = cluster.awaitPrimary(within);
        cluster.awaitStreamingReplicas(p, cluster.nodes.size() - 1, within);
        if (!synchronous) return p;
        Awaitility.await("a synchronous standby named by " + p.name).atMost(within).ignoreExceptions()
                .pollInterval(Duration.ofMillis(200))
                .until(() -> Cluster.httpGet(p.api("/cluster")).contains("\"role\":\"sync_standby\""));
        return p;
    }

    /** Acknowledged commits the primary does not have (those acknowledged before it is read: later ones may not show yet). */
    private static List<Writer.Ack> missing(Writer writer, Cluster.Node primary) throws Exception {
        List<Writer.Ack> acked = List.copyOf(writer.acked);
        Set<Long> present = new HashSet<>();
        for (String id : primary.queryStrings("SELECT id FROM acked")) present.add(Long.parseLong(id));
        return acked.stream().filter(a -> !present.contains(a.id())).toList();
    }

    /** The primary's timeline is one past the last switch etcd recorded (1 with none). */
    private static void assertHistoryMatches(Cluster.Node primary) {
        Awaitility.await("history in etcd matches " + primary.name + "'s timeline").atMost(Duration.ofSeconds(10))
                .ignoreExceptions()
                .until(() -> maxHistoryTimeline(Cluster.httpGet(primary.api("/history"))) + 1 == primary.timeline());
    }

    /** The reason of the newest /history entry on {@code n} ("" when there is none). */
    private static String lastHistoryReason(Cluster.Node n) throws Exception {
        com.fasterxml.jackson.databind.JsonNode h = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(Cluster.httpGet(n.api("/history")));
        return h.isEmpty() ? "" : h.get(h.size() - 1).path(2).asText("");
    }

    private static long maxHistoryTimeline(String history) {
        long last = 0;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\[(\\d+),").matcher(history);
        while (m.find()) last = Math.max(last, Long.parseLong(m.group(1)));
        return last;
    }
}
