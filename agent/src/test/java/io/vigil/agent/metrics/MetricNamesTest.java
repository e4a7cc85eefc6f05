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

    /** Patroni 3.0.2's /metrics, by name. */
    private static final Set<String> PATRONI_3_0_2 = Set.of("patroni_postgres_running", "patroni_master",
            "patroni_primary", "patroni_xlog_location", "patroni_standby_leader", "patroni_replica",
            "patroni_sync_standby", "patroni_xlog_received_location", "patroni_xlog_replayed_location",
            "patroni_xlog_paused", "patroni_postgres_server_version", "patroni_cluster_unlocked",
            "patroni_postgres_timeline", "patroni_dcs_last_seen", "patroni_pending_restart", "patroni_is_paused",
            "patroni_version", "patroni_postmaster_start_time", "patroni_xlog_replayed_timestamp",
            "patroni_failsafe_mode_is_active");
    /** Patroni 4.x added these. */
    private static final Set<String> PATRONI_4 = Set.of("patroni_postgres_streaming", "patroni_postgres_in_archive_recovery",
            "patroni_postgres_state");

    private static Set<String> names(String text, String prefix) {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^(" + prefix + "[a-z_]+)\\{").matcher(text);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    @Test
    void everyOneOfPatronisMetricNamesIsExported() {
        var pg = new io.vigil.agent.core.LocalPostgres(true, true, true, true, 1, null, new io.vigil.cluster.Lsn(100),
                new io.vigil.cluster.Lsn(90), true, "n1", "1", 150018, java.time.Instant.parse("2026-11-26T15:46:51.623095Z"),
                0L, java.util.List.of(), java.util.Map.of(), true, null, true,
                java.time.Instant.parse("2026-11-26T15:47:01.5Z"));
        var status = new io.vigil.agent.ha.NodeStatus("s", "n", io.vigil.agent.core.NodeRole.REPLICA, false, pg,
                java.util.Optional.empty(), io.vigil.config.ClusterSettings.defaults(), io.vigil.config.Tags.NONE, "",
                java.util.List.of(), null, System.nanoTime(), 0, 1_795_708_031L, null, true);
        String text = new Metrics("s", "n", () -> status, System::nanoTime).scrape();
        Set<String> expected = new TreeSet<>(PATRONI_3_0_2);
        expected.addAll(PATRONI_4);
        assertThat(names(text, "patroni_")).isEqualTo(expected);
        assertThat(text).contains("patroni_postgres_streaming{name=\"n\",scope=\"s\"} 1.0")
                .contains("patroni_postgres_in_archive_recovery{name=\"n\",scope=\"s\"} 0.0")
                .contains("patroni_postgres_state{name=\"n\",scope=\"s\"} 5.0");
        assertThat(text).contains("patroni_xlog_paused{name=\"n\",scope=\"s\"} 1.0")
                .contains("patroni_pending_restart{name=\"n\",scope=\"s\"} 1.0")
                .contains("patroni_postgres_server_version{name=\"n\",scope=\"s\"} 150018.0")
                .contains("patroni_xlog_replayed_location{name=\"n\",scope=\"s\"} 90.0");
        assertThat(text).containsPattern("patroni_dcs_last_seen\\{name=\"n\",scope=\"s\"} 1\\.795708031E9")
                .containsPattern("patroni_postmaster_start_time\\{name=\"n\",scope=\"s\"} 1\\.79570801162309[0-9]*E9")
                .containsPattern("patroni_xlog_replayed_timestamp\\{name=\"n\",scope=\"s\"} 1\\.7957080215E9")
                .contains("patroni_failsafe_mode_is_active{name=\"n\",scope=\"s\"} 1.0")
                .contains("patroni_version{name=\"n\",scope=\"s\"} 100.0");
        assertThat(Metrics.versionNumber("3.0.2")).isEqualTo(30002);
        assertThat(Metrics.versionNumber("1.12.0-rc1")).isEqualTo(11200);
    }

    @Test
    void alertsAndDashboardUseExportedNames() throws Exception {
        var row = new io.vigil.agent.core.LocalPostgres.ReplicationRow("replicator", "n2", "127.0.0.1", "streaming",
                "async", 0, new io.vigil.cluster.Lsn(100), new io.vigil.cluster.Lsn(100), new io.vigil.cluster.Lsn(90), 0.5);
        var pg = new io.vigil.agent.core.LocalPostgres(true, true, true, false, 1, new io.vigil.cluster.Lsn(100), null,
                null, false, null, "1", 150018, null, null, java.util.List.of(row),
                java.util.Map.of("backup", new io.vigil.cluster.Lsn(100)), false, "");
        var withSlots = io.vigil.config.ConfigEdit.patch("{}", "{\"slots\": {\"backup\": null, \"archive\": null}}").settings();
        var status = new io.vigil.agent.ha.NodeStatus("s", "n", io.vigil.agent.core.NodeRole.PRIMARY, true, pg,
                java.util.Optional.empty(), withSlots, io.vigil.config.Tags.NONE, "",
                java.util.List.of(), null, System.nanoTime(), 0, 0, null, false);
        Metrics metrics = new Metrics("s", "n", () -> status, System::nanoTime);
        metrics.cycle(java.time.Duration.ofMillis(5), true);
        metrics.promoted(true);
        metrics.demoted();
        metrics.handedOver();
        metrics.etcdCall(java.time.Duration.ofMillis(1), true);
        String text = metrics.scrape();
        Set<String> exported = names(text, "vigil_");
        Set<String> used = new TreeSet<>(referenced(REPO.resolve("deploy/prometheus/vigil-alerts.yml")));
        used.addAll(referenced(REPO.resolve("deploy/grafana/vigil.json")));
        used.remove("vigil_ha_loop_seconds");   // a histogram: its _bucket/_sum/_count series are checked below
        used.remove("vigil_etcd_read_seconds");
        assertThat(used).isNotEmpty();
        assertThat(exported).containsAll(used);
        assertThat(text).contains("vigil_permanent_slot_ready{name=\"n\",scope=\"s\",slot=\"backup\"} 1.0")
                .contains("vigil_permanent_slot_ready{name=\"n\",scope=\"s\",slot=\"archive\"} 0.0")
                .contains("vigil_permanent_slot_lag_bytes{name=\"n\",scope=\"s\",slot=\"backup\"} 0.0");
        assertThat(text).contains("vigil_takeovers_total{name=\"n\",reason=\"fast\",scope=\"s\"} 1.0")
                .contains("vigil_takeovers_total{name=\"n\",reason=\"lease\",scope=\"s\"} 0.0");
    }
}
