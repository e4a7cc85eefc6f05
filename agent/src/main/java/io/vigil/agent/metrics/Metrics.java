package io.vigil.agent.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vigil.agent.ha.LoopEvents;
import io.vigil.agent.core.NodeRole;
import io.vigil.agent.ha.NodeStatus;
import io.vigil.agent.core.LocalPostgres;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Every metric Vigil exports, with constant names, tagged with scope and name. Gauges read the
 * loop's last published status at scrape time; counters and timers are fed by {@link LoopEvents}.
 * Patroni's names are exported too where the meaning is the same, so existing dashboards work.
 */
public final class Metrics implements LoopEvents {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Supplier<NodeStatus> status;
    private final LongSupplier clock;
    private final Timer loopTimer;
    private final Counter overruns;
    private final Counter promotions;
    private final Counter leaseTakeovers;
    private final Counter fastTakeovers;
    private final Counter demotions;
    private final Counter switchovers;
    private final Timer etcdTimer;
    private final Counter etcdErrors;
    private final MultiGauge lagBytes;
    private final MultiGauge lagSeconds;
    private final MultiGauge slotReady;
    private final MultiGauge slotLag;

    public Metrics(String scope, String name, Supplier<NodeStatus> status, LongSupplier clock) {
        this.status = status;
        this.clock = clock;
        registry.config().commonTags("scope", scope, "name", name);
        gauge("vigil_is_leader", "1 while this node holds the leader key and runs a writable primary",
                s -> s.role() == NodeRole.PRIMARY ? 1 : 0);
        gauge("vigil_is_replica", "1 while this node runs a replica", s -> s.role() == NodeRole.REPLICA ? 1 : 0);
        gauge("vigil_postgres_up", "1 while Postgres answers queries", s -> s.local().running() && s.local().accepting() ? 1 : 0);
        gauge("vigil_timeline", "current timeline", s -> s.local().timeline());
        gauge("vigil_wal_position_bytes", "WAL position (write on a primary, received or replayed on a replica)",
                s -> s.local().walPosition() == null ? 0 : s.local().walPosition().value());
        gauge("vigil_replica_lag_bytes", "on a replica: bytes replayed WAL is behind the leader", NodeStatus::replayLagBytes);
        gauge("vigil_leader_lease_seconds_left", "seconds until this leader's own lease deadline (0 when not leader)",
                s -> s.leaderUntilNanos() == 0 ? 0 : Math.max(0, (s.leaderUntilNanos() - clock.getAsLong()) / 1e9));
        gauge("vigil_etcd_reachable", "1 when the last etcd read succeeded", s -> s.cluster().isPresent() ? 1 : 0);
        gauge("vigil_pending_restart", "1 when a changed Postgres parameter waits for a restart",
                s -> s.local().pendingRestart() ? 1 : 0);
        gauge("vigil_paused", "1 while the cluster is in maintenance mode (pause)", s -> s.settings().paused() ? 1 : 0);
        gauge("vigil_synchronous_mode", "1 while the cluster runs with synchronous_mode",
                s -> s.settings().synchronous() ? 1 : 0);
        gauge("vigil_no_sync_standby_seconds", "on the leader in synchronous_mode: seconds it has run without a"
                + " synchronous standby named in the sync key (0: it has one)", Metrics::noSyncStandbySeconds);
        gauge("vigil_loop_wait_seconds", "loop_wait in force", s -> s.settings().loopWait());
        gauge("vigil_parameters_refused", "cluster-wide Postgres parameter values this node's Postgres refuses (it keeps"
                + " the last good value instead)", s -> s.refusedParameters().size());
        gauge("patroni_pending_restart", "Patroni-compatible: 1 when a restart is pending",
                s -> s.local().pendingRestart() ? 1 : 0);
        gauge("patroni_is_paused", "Patroni-compatible: 1 while paused", s -> s.settings().paused() ? 1 : 0);
        gauge("patroni_primary", "Patroni-compatible: 1 on the leader", s -> s.role() == NodeRole.PRIMARY ? 1 : 0);
        gauge("patroni_master", "Patroni-compatible (older name of patroni_primary): 1 on the leader",
                s -> s.role() == NodeRole.PRIMARY ? 1 : 0);
        gauge("patroni_replica", "Patroni-compatible: 1 on a replica", s -> s.role() == NodeRole.REPLICA ? 1 : 0);
        gauge("patroni_sync_standby", "Patroni-compatible: 1 on a replica the sync key names (synchronous_mode)",
                s -> s.isSynchronousStandby() ? 1 : 0);
        gauge("patroni_standby_leader", "Patroni-compatible: always 0 (Vigil runs no standby clusters)", s -> 0);
        gauge("patroni_cluster_unlocked", "Patroni-compatible: 1 when etcd shows no leader",
                s -> s.cluster().map(c -> c.leader().isEmpty()).orElse(false) ? 1 : 0);
        gauge("patroni_dcs_last_seen", "Patroni-compatible: epoch second of the last successful etcd read (0: never)",
                NodeStatus::etcdLastSeenEpochSeconds);
        gauge("patroni_postgres_server_version", "Patroni-compatible: server_version_num (0 when not running)",
                s -> s.local().serverVersion() == null ? 0 : s.local().serverVersion());
        gauge("patroni_xlog_paused", "Patroni-compatible: 1 while WAL replay is paused on this replica",
                s -> s.local().replayPaused() ? 1 : 0);
        gauge("patroni_version", "Patroni-compatible: this agent's version (Vigil's), two digits a part: 0.1.0 is 100",
                s -> VERSION_NUMBER);
        gauge("patroni_postmaster_start_time", "Patroni-compatible: epoch seconds Postgres started at (0 when not running)",
                s -> epochSeconds(s.local().postmasterStartTime()));
        gauge("patroni_xlog_replayed_timestamp",
                "Patroni-compatible: commit time of the last replayed transaction, epoch seconds (0 if none)",
                s -> epochSeconds(s.local().lastReplayed()));
        gauge("patroni_failsafe_mode_is_active", "Patroni-compatible: 1 while failsafe_mode keeps the primary without etcd",
                s -> s.failsafeActive() ? 1 : 0);
        gauge("patroni_postgres_running", "Patroni-compatible: 1 while Postgres runs", s -> s.local().running() ? 1 : 0);
        gauge("patroni_postgres_streaming", "Patroni 4-compatible: 1 while this replica streams WAL from its upstream",
                s -> s.local().isRunningReplica() && s.local().streaming() ? 1 : 0);
        gauge("patroni_postgres_state", "Patroni 4-compatible: Postgres state as Patroni numbers it (5 running, 6 starting,"
                + " 12 stopped; -1 another, e.g. no data directory yet)", Metrics::postgresState);
        gauge("patroni_postgres_in_archive_recovery", "Patroni 4-compatible: 1 while this replica does not stream and"
                + " a restore_command is set, so it replays WAL from the archive", Metrics::inArchiveRecovery);
        gauge("patroni_postgres_timeline", "Patroni-compatible: timeline", s -> s.local().timeline());
        gauge("patroni_xlog_location", "Patroni-compatible: primary WAL position",
                s -> s.local().inRecovery() || s.local().writeLsn() == null ? 0 : s.local().writeLsn().value());
        gauge("patroni_xlog_received_location", "Patroni-compatible: replica received WAL",
                s -> s.local().receiveLsn() == null ? 0 : s.local().receiveLsn().value());
        gauge("patroni_xlog_replayed_location", "Patroni-compatible: replica replayed WAL",
                s -> s.local().replayLsn() == null ? 0 : s.local().replayLsn().value());
        loopTimer = Timer.builder("vigil_ha_loop_seconds").description("duration of one HA cycle")
                .publishPercentileHistogram().register(registry);
        overruns = Counter.builder("vigil_ha_loop_overruns").description("cycles that took longer than loop_wait")
                .register(registry);
        promotions = Counter.builder("vigil_promotions").description("times this node was promoted").register(registry);
        leaseTakeovers = Counter.builder("vigil_takeovers").tag("reason", "lease")
                .description("promotions of this node, by how it took the leader key: lease (the key was free) or"
                        + " fast (synchronous mode's fast takeover)").register(registry);
        fastTakeovers = Counter.builder("vigil_takeovers").tag("reason", "fast")
                .description("promotions of this node, by how it took the leader key: lease (the key was free) or"
                        + " fast (synchronous mode's fast takeover)").register(registry);
        demotions = Counter.builder("vigil_demotions").description("times this node was demoted").register(registry);
        switchovers = Counter.builder("vigil_switchovers").description("planned hand-overs from this node")
                .register(registry);
        etcdTimer = Timer.builder("vigil_etcd_read_seconds").description("latency of the cycle's etcd read")
                .register(registry);
        etcdErrors = Counter.builder("vigil_etcd_errors").description("etcd calls that failed").register(registry);
        lagBytes = MultiGauge.builder("vigil_replication_lag_bytes")
                .description("on the leader: bytes each replica's replayed WAL is behind").register(registry);
        lagSeconds = MultiGauge.builder("vigil_replication_lag_seconds")
                .description("on the leader: replay lag of each replica, seconds").register(registry);
        slotReady = MultiGauge.builder("vigil_permanent_slot_ready")
                .description("1 when this node holds the permanent slot (the config's slots:), 0 when it is missing")
                .register(registry);
        slotLag = MultiGauge.builder("vigil_permanent_slot_lag_bytes")
                .description("bytes this node's copy of a permanent slot is behind the leader's (0 on the leader)")
                .register(registry);
    }

    static double noSyncStandbySeconds(NodeStatus s) {
        var sync = s.cluster().map(io.vigil.cluster.ClusterView::sync).orElse(null);
        if (s.role() != NodeRole.PRIMARY || !s.settings().synchronous() || sync == null || !sync.leaderRunsAlone()
                || !s.name().equals(sync.leader()) || sync.noStandbySince() == null) {
            return 0;
        }
        try {
            java.time.Instant since = java.time.OffsetDateTime.parse(sync.noStandbySince()).toInstant();
            return Math.max(0, java.time.Duration.between(since, java.time.Instant.now()).toMillis() / 1000.0);
        } catch (java.time.format.DateTimeParseException e) {
            return 0;
        }
    }

    /** Patroni's padded semver: 3.0.2 is 030002, so 0.1.0 is 000100. */
    static final double VERSION_NUMBER = versionNumber(io.vigil.agent.ha.HaLoop.VERSION);

    static double versionNumber(String version) {
        long n = 0;
        for (String part : version.split("[.-]", 4)) {
            if (!part.matches("\\d+")) break;   // 1.2.0-rc1: the digits before the suffix
            n = n * 100 + Long.parseLong(part);
        }
        return n;
    }

    /** Patroni's PostgresqlState index for this node's state (patroni/postgresql/misc.py, indexes never reused). */
    static double postgresState(NodeStatus s) {
        return switch (s.state()) {
            case "running" -> 5;
            case "starting" -> 6;
            case "stopped" -> 12;
            default -> -1;
        };
    }

    /** A running replica without a streaming WAL receiver, with a cluster-wide restore_command to read the archive. */
    private static double inArchiveRecovery(NodeStatus s) {
        Object restore = s.settings().postgresql().parameters().get("restore_command");
        boolean archive = restore != null && !String.valueOf(restore).isBlank();
        return s.local().isRunningReplica() && !s.local().streaming() && archive ? 1 : 0;
    }

    private static double epochSeconds(java.time.Instant t) {
        return t == null ? 0 : t.getEpochSecond() + t.getNano() / 1e9;
    }

    private void gauge(String name, String help, java.util.function.ToDoubleFunction<NodeStatus> f) {
        Gauge.builder(name, this, m -> {
            NodeStatus s = m.status.get();
            return s == null ? Double.NaN : f.applyAsDouble(s);
        }).description(help).register(registry);
    }

    /** Prometheus text exposition (format 0.0.4). */
    public String scrape() {
        NodeStatus s = status.get();
        List<LocalPostgres.ReplicationRow> rows = s == null ? List.of() : s.local().replication();
        Long write = s == null || s.local().writeLsn() == null ? null : s.local().writeLsn().value();
        lagBytes.register(rows.stream().filter(r -> write != null && r.replayLsn() != null)
                .map(r -> MultiGauge.Row.of(Tags.of("application_name", r.applicationName()),
                        Math.max(0, write - r.replayLsn().value()))).toList(), true);
        lagSeconds.register(rows.stream().filter(r -> r.replayLagSeconds() != null)
                .map(r -> MultiGauge.Row.of(Tags.of("application_name", r.applicationName()), r.replayLagSeconds()))
                .toList(), true);
        List<io.vigil.cluster.SlotReadiness> slots = s == null ? List.of() : localSlots(s);
        slotReady.register(slots.stream().map(r -> MultiGauge.Row.of(Tags.of("slot", r.slot()), r.ready() ? 1 : 0))
                .toList(), true);
        slotLag.register(slots.stream().filter(r -> r.lagBytes() != null)
                .map(r -> MultiGauge.Row.of(Tags.of("slot", r.slot()), r.lagBytes())).toList(), true);
        return registry.scrape();
    }

    /** This node's permanent slots against the leader's, when it keeps them (the leader, or a replica that may take over). */
    private static List<io.vigil.cluster.SlotReadiness> localSlots(NodeStatus s) {
        if (s.role() != NodeRole.PRIMARY && !s.tags().mayPromote()) return List.of();
        java.util.Map<String, Long> here = new java.util.TreeMap<>();
        s.local().slots().forEach((slot, lsn) -> here.put(slot, lsn.value()));
        java.util.Map<String, Long> positions = s.cluster().map(io.vigil.cluster.ClusterView::slotPositions)
                .orElse(java.util.Map.of());
        return io.vigil.cluster.SlotReadiness.of(s.settings(), s.role() == NodeRole.PRIMARY ? here : positions, here);
    }

    @Override
    public void cycle(Duration took, boolean overran) {
        loopTimer.record(took);
        if (overran) overruns.increment();
    }

    @Override
    public void promoted(boolean fast) {
        promotions.increment();
        (fast ? fastTakeovers : leaseTakeovers).increment();
    }

    @Override
    public void demoted() {
        demotions.increment();
    }

    @Override
    public void handedOver() {
        switchovers.increment();
    }

    @Override
    public void etcdCall(Duration took, boolean failed) {
        etcdTimer.record(took);
        if (failed) etcdErrors.increment();
    }
}
