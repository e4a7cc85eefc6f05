package io.vigil.agent.pg;

import io.vigil.agent.core.LocalPostgres;
import io.vigil.cluster.Lsn;
import io.vigil.config.AgentConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The look at the local Postgres each cycle: the data directory, the postmaster, pg_controldata when
 * it is down, and one round of queries when it runs.
 */
final class PostgresObserver {
    private static final Logger log = LoggerFactory.getLogger(PostgresObserver.class);

    private final AgentConfig cfg;
    private final PostgresFiles files;
    private final CommandRunner runner;
    private final PostgresSessions sessions;
    /** The last IDENTIFY_SYSTEM answer: it can change only when replay moves or Postgres restarts. */
    private ReplayTimeline lastReplayTimeline;

    private record ReplayTimeline(Instant postmasterStarted, String replayLsn, long timeline) {
    }

    PostgresObserver(AgentConfig cfg, PostgresFiles files, CommandRunner runner, PostgresSessions sessions) {
        this.cfg = cfg;
        this.files = files;
        this.runner = runner;
        this.sessions = sessions;
    }

    private Path dataDir() {
        return cfg.dataDir();
    }

    boolean hasData() {
        return Files.exists(dataDir().resolve("PG_VERSION"));
    }

    /** The postmaster's pid from postmaster.pid if that process is alive, else null. */
    Long postmasterPid() {
        Path pidFile = dataDir().resolve("postmaster.pid");
        try {
            if (!Files.exists(pidFile)) return null;
            List<String> lines = Files.readAllLines(pidFile);
            if (lines.isEmpty()) return null;
            long pid = Long.parseLong(lines.get(0).strip());
            return isLiveProcess(pid) ? pid : null;
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    /** Alive and not a zombie (a killed postmaster stays a zombie until its new parent reaps it). */
    static boolean isLiveProcess(long pid) {
        try (ProcStat stat = ProcStat.open(pid)) {
            return stat.alive();
        } catch (IOException e) {
            return false;   // no such process
        }
    }

    LocalPostgres observe() {
        if (!hasData()) {
            return LocalPostgres.noData();
        }
        String upstream = files.readUpstream();
        if (postmasterPid() == null) {
            sessions.closeLocal();
            ControlData cd = controlData();
            return new LocalPostgres(true, false, false, cd.wasStandby(), Math.max(cd.timeline(), historyTimeline()),
                    cd.position(), null, null,
                    false, upstream, cd.systemId(), null, null, null, List.of(), Map.of(), false, null);
        }
        try {
            return query(upstream);
        } catch (SQLException e) {
            sessions.closeLocal();
            log.debug("Postgres is running but does not answer yet: {}", e.getMessage());
            ControlData cd = controlData();
            return new LocalPostgres(true, true, false, cd.wasStandby(), cd.timeline(), cd.position(), null, null,
                    false, upstream, cd.systemId(), null, null, null, List.of(), Map.of(), false, null);
        }
    }

    /**
     * The newest timeline whose history file is in pg_wal: the timeline a standby is on or heading
     * to (pg_control's checkpoint timeline lags until the next restartpoint).
     */
    private long historyTimeline() {
        try (var s = Files.list(dataDir().resolve("pg_wal"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{8}\\.history"))
                    .mapToLong(n -> Long.parseLong(n.substring(0, 8), 16)).max().orElse(0);
        } catch (IOException e) {
            return 0;
        }
    }

    /** After a promotion: the parent timeline and the switch LSN, from the new timeline's history file. */
    long[] lastTimelineSwitch() {
        long tli = historyTimeline();
        Path file = dataDir().resolve("pg_wal").resolve(String.format("%08X.history", tli));
        try {
            List<String> lines = Files.readAllLines(file).stream().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
            String[] last = lines.get(lines.size() - 1).split("\\s+");
            return new long[] {Long.parseLong(last[0]), Lsn.parse(last[1]).value()};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private ControlData controlData() {
        CommandRunner.Result r = runner.run(List.of(cfg.binDir().resolve("pg_controldata").toString(), "-D", dataDir().toString()),
                Duration.ofSeconds(10), null);
        if (!r.ok()) {
            return new ControlData("unknown", null, 0, null, null);
        }
        return ControlData.parse(r.output());
    }

    private LocalPostgres query(String upstream) throws SQLException {
        try (Statement st = sessions.local().createStatement()) {
            boolean inRecovery;
            int version;
            Instant started;
            String sysid;
            boolean pendingRestart;
            String syncNames;
            try (ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery(), current_setting('server_version_num')::int,"
                    + " pg_postmaster_start_time(), (SELECT system_identifier::text FROM pg_control_system()),"
                    + " EXISTS (SELECT 1 FROM pg_settings WHERE pending_restart),"
                    + " current_setting('synchronous_standby_names')")) {
                rs.next();
                inRecovery = rs.getBoolean(1);
                version = rs.getInt(2);
                started = instant(rs, 3);
                sysid = rs.getString(4);
                pendingRestart = rs.getBoolean(5);
                syncNames = rs.getString(6);
            }
            if (!inRecovery) {
                // pg_stat_replication first, then the WAL position: a standby seen as synchronous was
                // so before this position was written (the sync key's confirmation relies on it).
                List<LocalPostgres.ReplicationRow> rows = replicationRows(st);
                Lsn write;
                long tli;
                try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text,"
                        + " ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int")) {
                    rs.next();
                    write = Lsn.parse(rs.getString(1));
                    tli = rs.getLong(2);
                }
                return new LocalPostgres(true, true, true, false, tli, write, null, null, false, upstream, sysid,
                        version, started, null, rows, slots(st), pendingRestart, syncNames);
            }
            try (ResultSet rs = st.executeQuery("SELECT pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,"
                    + " (SELECT status FROM pg_stat_wal_receiver), (SELECT received_tli FROM pg_stat_wal_receiver),"
                    + " (SELECT timeline_id FROM pg_control_checkpoint()),"
                    + " (SELECT min_recovery_end_timeline FROM pg_control_recovery()),"
                    + " CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
                    + "      ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::bigint END,"
                    + " pg_is_wal_replay_paused(), pg_last_xact_replay_timestamp()")) {
                rs.next();
                boolean streaming = "streaming".equals(rs.getString(3));
                long tli = Math.max(Math.max(rs.getLong(4), historyTimeline()), Math.max(rs.getLong(5), rs.getLong(6)));
                if (!streaming) {
                    // A history file fetched from a leader it cannot follow (diverged) names a timeline it is not on
                    Long replaying = replayTimeline(started, rs.getString(2));
                    if (replaying != null) tli = replaying;
                }
                Long lag = rs.getObject(7) == null ? null : rs.getLong(7);
                boolean paused = rs.getBoolean(8);   // before slots(st), whose query closes this result set
                Instant replayed = instant(rs, 9);
                return new LocalPostgres(true, true, true, true, tli, null, Lsn.parseOrNull(rs.getString(1)),
                        Lsn.parseOrNull(rs.getString(2)), streaming, upstream, sysid,
                        version, started, lag, List.of(), slots(st), pendingRestart, syncNames, paused, replayed);
            }
        }
    }

    /**
     * The timeline this standby replays on, from IDENTIFY_SYSTEM; null when no replication connection
     * is allowed. That is the last replayed record's timeline, so while replay stands still (a standby
     * that does not stream) the answer is kept instead of a new replication login every cycle.
     */
    private Long replayTimeline(Instant postmasterStarted, String replayLsn) {
        ReplayTimeline last = lastReplayTimeline;
        if (last != null && java.util.Objects.equals(last.postmasterStarted(), postmasterStarted)
                && java.util.Objects.equals(last.replayLsn(), replayLsn)) {
            return last.timeline();
        }
        try (Connection c = sessions.localReplication();
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
            if (!rs.next()) return null;
            lastReplayTimeline = new ReplayTimeline(postmasterStarted, replayLsn, rs.getLong(2));
            return lastReplayTimeline.timeline();
        } catch (SQLException e) {
            log.debug("IDENTIFY_SYSTEM on the local standby failed: {}", e.getMessage());
            return null;
        }
    }

    /** A timestamptz column (microseconds kept), or null. */
    private static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private static List<LocalPostgres.ReplicationRow> replicationRows(Statement st) throws SQLException {
        List<LocalPostgres.ReplicationRow> rows = new ArrayList<>();
        try (ResultSet rs = st.executeQuery("SELECT usename, application_name, client_addr::text, state, sync_state,"
                + " sync_priority, sent_lsn::text, flush_lsn::text, replay_lsn::text,"
                + " extract(epoch FROM replay_lag)::float8 FROM pg_stat_replication ORDER BY application_name")) {
            while (rs.next()) {
                Object lag = rs.getObject(10);
                rows.add(new LocalPostgres.ReplicationRow(rs.getString(1), rs.getString(2), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getInt(6), Lsn.parseOrNull(rs.getString(7)),
                        Lsn.parseOrNull(rs.getString(8)), Lsn.parseOrNull(rs.getString(9)),
                        lag == null ? null : ((Number) lag).doubleValue()));
            }
        }
        return rows;
    }

    /** Physical slots by name, each with its restart_lsn (0/0 when it reserves no WAL yet). */
    private static Map<String, Lsn> slots(Statement st) throws SQLException {
        Map<String, Lsn> out = new java.util.TreeMap<>();
        try (ResultSet rs = st.executeQuery("SELECT slot_name, restart_lsn::text FROM pg_replication_slots"
                + " WHERE slot_type = 'physical' AND NOT temporary")) {
            while (rs.next()) {
                Lsn restart = Lsn.parseOrNull(rs.getString(2));
                out.put(rs.getString(1), restart == null ? new Lsn(0) : restart);
            }
        }
        return out;
    }
}
