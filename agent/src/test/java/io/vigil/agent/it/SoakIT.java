package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The other half of fast failover: nothing fails over when nothing failed. The CPU is saturated
 * (pgbench against the primary plus one busy loop per core) and every agent's etcd traffic gets
 * added latency and jitter, at the fast setting the benchmarks use (ttl 10, loop_wait 2,
 * retry_timeout 3), in synchronous mode. Afterwards: the same leader key (same create revision),
 * the same primary postmaster on the same timeline, and no promotion or demotion counted by any agent.
 *
 * <p>CI runs it for {@code soak.seconds} (default 120); {@code chaos/soak.sh --minutes 30} runs the long one.
 */
class SoakIT extends ClusterTest {
    private static final String PGBIN = "/usr/lib/postgresql/15/bin/";

    @Test
    void saturatedCpuAndSlowEtcdCauseNoLeaderChangeAndNoDemotion() throws Exception {
        assumeTrue(Network.available(), "network namespaces need root and iproute2");
        int seconds = Integer.getInteger("soak.seconds", 120);
        Duration delay = Duration.ofMillis(Integer.getInteger("soak.etcd.delay.ms", 50));
        Duration jitter = Duration.ofMillis(Integer.getInteger("soak.etcd.jitter.ms", 25));
        assertThat(seconds).as("soak.seconds").isBetween(10, 4 * 3600);

        cluster = Cluster.startIsolatedWithSlowEtcd(3, 10, 2, 3, "synchronous_mode: true", delay, jitter);
        Cluster.Node primary = cluster.awaitPrimary(Duration.ofSeconds(30));
        long timeline = primary.timeline();
        Long postmaster = primary.postmasterPid();
        long leaderRevision = leaderKey().getCreateRevision();
        Map<String, double[]> before = counters();

        String url = "host=" + primary.host + " port=" + primary.pgPort + " user=postgres dbname=postgres";
        Map<String, String> env = Map.of("PGPASSWORD", Cluster.PASSWORD);
        assertThat(run(List.of(PGBIN + "pgbench", "-i", "-q", "-s", "5", url), env, 300)).as("pgbench -i").isZero();
        Path pgbenchLog = cluster.root.resolve("pgbench.log");
        Process pgbench = start(List.of(PGBIN + "pgbench", "-c", "6", "-j", "2", "-T", Integer.toString(seconds),
                "-P", "30", url), env, pgbenchLog);
        List<Process> hogs = new ArrayList<>();
        for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
            // bounded by itself too: a busy loop that ends after the soak even if this JVM dies
            hogs.add(start(List.of("bash", "-c", "end=$((SECONDS + " + (seconds + 30) + ")); while ((SECONDS < end)); do :; done"),
                    Map.of(), cluster.root.resolve("hog.log")));
        }
        double leaseLeftMin = Double.MAX_VALUE;
        double loopMax = 0;
        int otherWritable = 0;
        int primaryInRecovery = 0;
        int polls = 0;
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < end && pgbench.isAlive()) {
                polls++;
                for (Cluster.Node n : cluster.nodes) {
                    Boolean recovery = n.inRecovery();
                    if (n == primary && Boolean.TRUE.equals(recovery)) primaryInRecovery++;
                    if (n != primary && Boolean.FALSE.equals(recovery)) otherWritable++;
                }
                try {
                    leaseLeftMin = Math.min(leaseLeftMin, primary.metric("vigil_leader_lease_seconds_left"));
                    loopMax = Math.max(loopMax, primary.metric("vigil_ha_loop_seconds_max"));
                } catch (RuntimeException | AssertionError e) {
                    // a slow answer under load is not a failover; the counters below are the facts
                }
                Thread.sleep(1000);   // the sampling period of this monitor, not a wait for a condition
            }
            assertThat(pgbench.waitFor(60, TimeUnit.SECONDS)).as("pgbench ends").isTrue();
        } finally {
            pgbench.destroyForcibly();
            hogs.forEach(Process::destroyForcibly);
        }
        String tps = Files.readAllLines(pgbenchLog).stream().filter(l -> l.startsWith("tps")).findFirst().orElse("tps: ?");
        Map<String, double[]> after = counters();
        System.out.printf("soak: %d s, CPU saturated (%d busy loops + pgbench -c 6), etcd +%d ± %d ms each way: %s;"
                        + " primary's lease left at least %.1f s, longest HA cycle %.2f s, %d polls%n",
                seconds, hogs.size(), delay.toMillis(), jitter.toMillis(), tps, leaseLeftMin, loopMax, polls);

        assertThat(pgbench.exitValue()).as("pgbench ran without errors: " + tps).isZero();
        assertThat(otherWritable).as("polls in which another node accepted writes").isZero();
        assertThat(primaryInRecovery).as("polls in which the primary was a standby").isZero();
        assertThat(leaderKey().getCreateRevision()).as("the same leader key, never re-created").isEqualTo(leaderRevision);
        assertThat(primary.timeline()).as("timeline").isEqualTo(timeline);
        assertThat(primary.postmasterPid()).as("the primary's postmaster was never restarted").isEqualTo(postmaster);
        for (Cluster.Node n : cluster.nodes) {
            assertThat(after.get(n.name)).as(n.name + ": promotions, demotions").containsExactly(before.get(n.name));
        }
    }

    private Map<String, double[]> counters() {
        Map<String, double[]> out = new HashMap<>();
        for (Cluster.Node n : cluster.nodes) {
            out.put(n.name, new double[] {n.metric("vigil_promotions_total"), n.metric("vigil_demotions_total")});
        }
        return out;
    }

    private KeyValue leaderKey() throws Exception {
        try (Client etcd = Client.builder().endpoints("http://" + cluster.etcd.endpoint()).build()) {
            List<KeyValue> kvs = etcd.getKVClient().get(ByteSequence.from("/vigil/it/leader", StandardCharsets.UTF_8))
                    .get(10, TimeUnit.SECONDS).getKvs();
            assertThat(kvs).as("leader key").hasSize(1);
            return kvs.get(0);
        }
    }

    private static Process start(List<String> cmd, Map<String, String> env, Path log) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        return pb.start();
    }

    private int run(List<String> cmd, Map<String, String> env, int timeoutSeconds) throws Exception {
        Process p = start(cmd, env, cluster.root.resolve("pgbench-init.log"));
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
