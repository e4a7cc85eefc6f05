package io.vigil.agent.pg;

import io.vigil.agent.core.LocalPostgres;
import io.vigil.cluster.HostPort;
import io.vigil.cluster.Lsn;
import io.vigil.config.AgentConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything that touches the local Postgres: pg_ctl, initdb, pg_basebackup, pg_rewind and JDBC.
 * Methods throw {@link PostgresException} with a message an operator can act on.
 */
public final class PostgresControl implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PostgresControl.class);

    private final AgentConfig cfg;
    private final PostgresFiles files;
    private final CommandRunner runner;
    /** Directories whose contents the running or last bootstrap wrote (they were absent or empty before it). */
    private List<BootstrapDir> bootstrapDirs = List.of();
    private Connection conn;
    private ParameterCheck parameterCheck;
    /** The last IDENTIFY_SYSTEM answer: it can change only when replay moves or Postgres restarts. */
    private ReplayTimeline lastReplayTimeline;

    /** A directory a bootstrap writes into; {@code madeItself}: it did not exist before. */
    private record BootstrapDir(Path dir, boolean madeItself) {
    }

    private record ReplayTimeline(Instant postmasterStarted, String replayLsn, long timeline) {
    }

    public PostgresControl(AgentConfig cfg) {
        this.cfg = cfg;
        this.files = new PostgresFiles(cfg);
        this.runner = new CommandRunner(Map.of("PGPASSFILE", cfg.pgpass().toString(), "LC_ALL", "C"));
    }

    public PostgresFiles files() {
        return files;
    }

    private String bin(String tool) {
        return cfg.binDir().resolve(tool).toString();
    }

    private Path dataDir() {
        return cfg.dataDir();
    }

    private Path logFile() {
        return dataDir().resolveSibling("postgresql.log");
    }

    // ---------------------------------------------------------------- observe

    public boolean hasData() {
        return Files.exists(dataDir().resolve("PG_VERSION"));
    }

    /** The postmaster's pid from postmaster.pid if that process is alive, else null. */
    public Long postmasterPid() {
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
    public static boolean isLiveProcess(long pid) {
        try (ProcStat stat = ProcStat.open(pid)) {
            return stat.alive();
        } catch (IOException e) {
            return false;   // no such process
        }
    }

    public LocalPostgres observe() {
        if (!hasData()) {
            return LocalPostgres.noData();
        }
        String upstream = files.readUpstream();
        if (postmasterPid() == null) {
            closeConnection();
            ControlData cd = controlData();
            return new LocalPostgres(true, false, false, cd.wasStandby(), Math.max(cd.timeline(), historyTimeline()),
                    cd.position(), null, null,
                    false, upstream, cd.systemId(), null, null, null, List.of(), List.of(), false, null);
        }
        try {
            return query(upstream);
        } catch (SQLException e) {
            closeConnection();
            log.debug("Postgres is running but does not answer yet: {}", e.getMessage());
            ControlData cd = controlData();
            return new LocalPostgres(true, true, false, cd.wasStandby(), cd.timeline(), cd.position(), null, null,
                    false, upstream, cd.systemId(), null, null, null, List.of(), List.of(), false, null);
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
    public long[] lastTimelineSwitch() {
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
        CommandRunner.Result r = runner.run(List.of(bin("pg_controldata"), "-D", dataDir().toString()),
                Duration.ofSeconds(10), null);
        if (!r.ok()) {
            return new ControlData("unknown", null, 0, null, null);
        }
        return ControlData.parse(r.output());
    }

    /** A JDBC connection as the superuser to {@code hostPort}, with short connect and socket timeouts. */
    private Connection superuserConnection(String hostPort, int socketTimeoutSeconds) throws SQLException {
        return superuserConnection(hostPort, socketTimeoutSeconds, "vigil");
    }

    private Connection superuserConnection(String hostPort, int socketTimeoutSeconds, String applicationName)
            throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", cfg.superuser());
        p.setProperty("password", cfg.superuserPassword().reveal());
        p.setProperty("connectTimeout", "2");
        p.setProperty("socketTimeout", String.valueOf(socketTimeoutSeconds));
        p.setProperty("ApplicationName", applicationName);
        p.setProperty("assumeMinServerVersion", "13");
        return DriverManager.getConnection("jdbc:postgresql://" + hostPort + "/postgres", p);
    }

    /**
     * An idle connection for {@link PostmasterDeathWatch}: no read timeout, and none on the server
     * either (idle_session_timeout, Postgres 14 and later).
     */
    public Connection idleWatchConnection() throws SQLException {
        Connection c = superuserConnection(localAddress(), 5, "vigil-watch");   // login within 5 s
        try (Statement st = c.createStatement()) {
            if (c.getMetaData().getDatabaseMajorVersion() >= 14) st.execute("SET idle_session_timeout = 0");
            c.setNetworkTimeout(Runnable::run, 0);   // then reads wait as long as the backend lives
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** A second connection for the leader's look at its standbys ({@link ReplicationWatch}), socket timeout 2 s. */
    public ReplicationWatch replicationWatch() {
        return new ReplicationWatch(() -> {
            Connection c = superuserConnection(localAddress(), 2, "vigil-sync-watch");
            c.setAutoCommit(true);
            return c;
        }, this::postmasterPid);
    }

    private Connection connection() throws SQLException {
        if (conn == null || conn.isClosed()) {
            conn = superuserConnection(localAddress(), 5);
            conn.setAutoCommit(true);
        }
        return conn;
    }

    private String localAddress() {
        String host = cfg.pgListen().host();
        if (host.equals("0.0.0.0") || host.equals("*") || host.contains(",")) host = "127.0.0.1";
        if (host.equals("::")) host = "::1";
        return new HostPort(host, cfg.pgListen().port()).toString();
    }

    private LocalPostgres query(String upstream) throws SQLException {
        try (Statement st = connection().createStatement()) {
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
        Properties p = new Properties();
        p.setProperty("user", cfg.replicationUser());
        p.setProperty("password", cfg.replicationPassword().reveal());
        p.setProperty("replication", "true");
        p.setProperty("preferQueryMode", "simple");
        p.setProperty("assumeMinServerVersion", "13");
        p.setProperty("connectTimeout", "2");
        p.setProperty("socketTimeout", "3");
        p.setProperty("ApplicationName", "vigil");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + localAddress() + "/postgres", p);
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

    private static List<String> slots(Statement st) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery("SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical' AND NOT temporary")) {
            while (rs.next()) out.add(rs.getString(1));
        }
        return out;
    }

    // ---------------------------------------------------------------- act

    /** initdb, bootstrap config, start as primary, create the replication (and rewind) roles. Returns the system id. */
    public String bootstrap(Map<String, Object> clusterParameters) {
        bootstrapDirs = List.of();
        List<BootstrapDir> own = new ArrayList<>();
        try {
            boolean dataDirExisted = Files.exists(dataDir());
            requireNothingInDataDir("run initdb");
            Files.createDirectories(dataDir(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            own.add(new BootstrapDir(dataDir(), !dataDirExisted));
            Path walDir = walDirOption();
            if (walDir != null && isAbsentOrEmpty(walDir)) own.add(new BootstrapDir(walDir, !Files.exists(walDir)));
        } catch (IOException e) {
            throw new PostgresException("cannot create data directory " + dataDir() + ": " + e.getMessage());
        }
        bootstrapDirs = List.copyOf(own);
        files.writePgpass();
        Path pwfile = dataDir().resolveSibling(".initdb-pw-" + cfg.name());
        try {
            Files.deleteIfExists(pwfile);
            Files.createFile(pwfile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(pwfile, cfg.superuserPassword().reveal() + "\n");
            List<String> cmd = new ArrayList<>(List.of(bin("initdb"), "-D", dataDir().toString(), "-U", cfg.superuser(),
                    "--pwfile=" + pwfile, "--auth-local=peer", "--auth-host=scram-sha-256"));
            cmd.addAll(cfg.initdbOptions());
            check(runner.run(cmd, Duration.ofMinutes(5), null), "initdb");
        } catch (IOException e) {
            throw new PostgresException("cannot write the initdb password file: " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(pwfile);
            } catch (IOException ignored) {
                // best effort; the file is mode 600
            }
        }
        files.includeManagedConf();
        files.writeHba();
        start(clusterParameters, false, null, null, Duration.ofSeconds(120));
        try (Statement st = connection().createStatement()) {
            createRole(st, cfg.replicationUser(), cfg.replicationPassword().reveal(), "REPLICATION LOGIN");
            if (!cfg.rewindUser().equals(cfg.superuser())) {
                createRole(st, cfg.rewindUser(), cfg.rewindPassword().reveal(), "LOGIN");
                for (String fn : List.of("pg_ls_dir(text, boolean, boolean)", "pg_stat_file(text, boolean)",
                        "pg_read_binary_file(text)", "pg_read_binary_file(text, bigint, bigint, boolean)")) {
                    st.execute("GRANT EXECUTE ON FUNCTION pg_catalog." + fn + " TO " + ident(cfg.rewindUser()));
                }
            }
            st.execute("CHECKPOINT");
            try (ResultSet rs = st.executeQuery("SELECT system_identifier::text FROM pg_control_system()")) {
                rs.next();
                return rs.getString(1);
            }
        } catch (SQLException e) {
            throw new PostgresException("bootstrap SQL failed: " + e.getMessage());
        }
    }

    /**
     * After a failed bootstrap, removes what it wrote to the data directory and to a WAL directory
     * given as {@code --waldir} (and each directory, if it made that too): an initdb that never served
     * the cluster, as Patroni does. Anything that was there before, or a directory a postmaster still
     * runs in, is left alone. Returns the data directory emptied, or null.
     */
    public Path discardFailedBootstrap() {
        if (bootstrapDirs.isEmpty() || !Files.exists(dataDir()) || postmasterPid() != null) return null;
        List<BootstrapDir> own = bootstrapDirs;
        bootstrapDirs = List.of();
        for (BootstrapDir d : own) {
            try (var walk = Files.walk(d.dir())) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    if (!p.equals(d.dir()) || d.madeItself()) Files.delete(p);
                }
            } catch (java.nio.file.NoSuchFileException e) {
                // initdb failed before it made this one
            } catch (IOException e) {
                throw new PostgresException("cannot remove the failed bootstrap's files in " + d.dir() + ": "
                        + e.getMessage());
            }
        }
        return dataDir();
    }

    /** The WAL directory given to initdb as --waldir=DIR (-X is not among Vigil's options), or null. */
    private Path walDirOption() {
        for (String o : cfg.initdbOptions()) {
            if (o.startsWith("--waldir=")) {
                Path p = Path.of(o.substring("--waldir=".length()));
                return p.isAbsolute() ? p.normalize() : null;
            }
        }
        return null;
    }

    private static boolean isAbsentOrEmpty(Path dir) throws IOException {
        if (!Files.exists(dir)) return true;
        if (!Files.isDirectory(dir)) return false;
        try (var s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    /** Refuses a data directory that holds anything (it has no PG_VERSION, or we would not be here): someone's files. */
    private void requireNothingInDataDir(String what) throws IOException {
        if (!isAbsentOrEmpty(dataDir())) {
            throw new PostgresException("data directory " + dataDir() + " holds files but no database (no PG_VERSION):"
                    + " cannot " + what + " into it; move its contents elsewhere");
        }
    }

    private static void createRole(Statement st, String name, String password, String options) throws SQLException {
        st.execute("SET password_encryption = 'scram-sha-256'");
        st.execute("CREATE ROLE " + ident(name) + " WITH " + options + " PASSWORD " + literal(password));
    }

    private static String ident(String s) {
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }

    private static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    /** Starts Postgres; {@code standby} writes standby.signal and points it at {@code upstream} (may be null). */
    public void start(Map<String, Object> clusterParameters, boolean standby, String upstreamName, HostPort upstream,
                      Duration timeout) {
        files.writePgpass();
        files.setStandbySignal(standby);
        files.writeManagedConf(clusterParameters, standby ? upstreamName : null, standby ? upstream : null);
        clearAfterCrash();
        long logStart = logSize();
        CommandRunner.Result r = runner.run(List.of(bin("pg_ctl"), "start", "-D", dataDir().toString(), "-w",
                "-t", String.valueOf(timeout.toSeconds()), "-l", logFile().toString()), timeout.plusSeconds(10), dataDir());
        if (!r.ok() && postmasterPid() == null) {
            String why = StartFailureReason.from(logSince(logStart));
            throw new PostgresException("Postgres did not start" + (why.isEmpty() ? "" : ": " + why) + " (pg_ctl: "
                    + r.tail() + "); see " + logFile());
        }
    }

    private long logSize() {
        try {
            return Files.exists(logFile()) ? Files.size(logFile()) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** What the server log got after byte {@code offset}, at most its last 64 KiB; empty when unreadable. */
    private String logSince(long offset) {
        try (var f = new java.io.RandomAccessFile(logFile().toFile(), "r")) {
            long from = Math.max(offset, f.length() - 65_536);
            byte[] buf = new byte[(int) Math.max(0, f.length() - from)];
            f.seek(from);
            f.readFully(buf);
            return new String(buf, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * After a postmaster was killed: waits briefly for its orphaned backends to exit, and removes
     * postmaster.pid when the pid in it is dead or a zombie (Postgres itself would take a zombie for
     * a running postmaster and refuse to start until init reaps it).
     */
    private void clearAfterCrash() {
        Path pidFile = dataDir().resolve("postmaster.pid");
        if (!Files.exists(pidFile) || postmasterPid() != null) return;
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!orphans().isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        removeStaleLock(pidFile);
        removeStaleLock(files.socketDir().resolve(".s.PGSQL." + cfg.pgListen().port() + ".lock"));
    }

    /** Deletes a Postgres lock file whose first line is the pid of a dead (or zombie) process. */
    private void removeStaleLock(Path lock) {
        try {
            List<String> lines = Files.exists(lock) ? Files.readAllLines(lock) : List.of();
            if (lines.isEmpty() || isLiveProcess(Long.parseLong(lines.get(0).strip()))) return;
            Files.deleteIfExists(lock);
            log.info("removed {} left by a postmaster that is no longer running", lock.getFileName());
        } catch (IOException | NumberFormatException e) {
            log.warn("cannot check stale lock {}: {}", lock, e.getMessage());
        }
    }

    /** Live processes (not zombies) whose working directory is the data directory: orphaned backends. */
    private List<Long> orphans() {
        List<Long> out = new ArrayList<>();
        try (var s = Files.list(Path.of("/proc"))) {
            s.filter(p -> p.getFileName().toString().matches("\\d+")).forEach(p -> {
                try {
                    if (Files.readSymbolicLink(p.resolve("cwd")).equals(dataDir())
                            && isLiveProcess(Long.parseLong(p.getFileName().toString()))) {
                        out.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException | RuntimeException ignored) {
                    // gone, or not ours
                }
            });
        } catch (IOException ignored) {
            // no /proc: nothing to wait for
        }
        return out;
    }

    public enum StopMode { FAST, IMMEDIATE }

    public void stop(StopMode mode, Duration timeout) {
        closeConnection();
        if (postmasterPid() == null) return;
        String m = mode == StopMode.FAST ? "fast" : "immediate";
        CommandRunner.Result r = runner.run(List.of(bin("pg_ctl"), "stop", "-D", dataDir().toString(), "-m", m, "-w",
                "-t", String.valueOf(timeout.toSeconds())), timeout.plusSeconds(5), null);
        if (!r.ok() && postmasterPid() != null) {
            if (mode == StopMode.FAST) {
                log.warn("fast stop did not finish ({}); stopping immediately", r.tail());
                stop(StopMode.IMMEDIATE, Duration.ofSeconds(10));
            } else {
                Long pid = postmasterPid();
                if (pid != null) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    /**
     * Immediate shutdown (SIGQUIT: the postmaster kills every backend at once) without touching the
     * JDBC connection, so the fence thread may call it while the loop runs.
     */
    public void fenceStop() {
        runner.run(List.of(bin("pg_ctl"), "stop", "-D", dataDir().toString(), "-m", "immediate", "-w", "-t", "10"),
                Duration.ofSeconds(15), null);
    }

    /** pg_promote(wait => true): returns as soon as the server accepts writes. */
    public void promote(Duration timeout) {
        try (Statement st = connection().createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_promote(true, " + timeout.toSeconds() + ")")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                throw new PostgresException("pg_promote did not finish within " + timeout.toSeconds() + " s; see " + logFile());
            }
        } catch (SQLException e) {
            closeConnection();
            throw new PostgresException("promote failed: " + e.getMessage());
        }
    }

    /** A checkpoint now, so that a following shutdown checkpoint has little to write. */
    public void checkpoint() {
        try (Statement st = connection().createStatement()) {
            st.execute("CHECKPOINT");
        } catch (SQLException e) {
            closeConnection();
            log.warn("CHECKPOINT failed: {}", e.getMessage());
        }
    }

    /** Repoints a running replica at {@code upstream} without a restart (primary_conninfo is reloadable). */
    public void follow(Map<String, Object> clusterParameters, String upstreamName, HostPort upstream) {
        files.writePgpass();
        files.writeManagedConf(clusterParameters, upstreamName, upstream);
        check(runner.run(List.of(bin("pg_ctl"), "reload", "-D", dataDir().toString()), Duration.ofSeconds(10), null),
                "pg_ctl reload");
    }

    /**
     * On a running primary: writes synchronous_standby_names ({@code null}: Vigil no longer sets it),
     * reloads, and waits (at most {@code within}) until this agent's own session runs with it, so that
     * the next look sees what is in force. False when that did not happen in time.
     */
    public boolean setSyncStandbyNames(Map<String, Object> clusterParameters, String names, Duration within) {
        files.setSyncStandbyNames(names);
        files.writeManagedConf(clusterParameters, null, null);
        try (Statement st = connection().createStatement()) {
            st.execute("SELECT pg_reload_conf()");   // no pg_ctl to fork
        } catch (SQLException e) {
            closeConnection();
            follow(clusterParameters, null, null);
        }
        String wanted = names == null ? String.valueOf(clusterParameters.getOrDefault("synchronous_standby_names", ""))
                : names;
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() - deadline < 0) {
            try (Statement st = connection().createStatement();
                 ResultSet rs = st.executeQuery("SELECT current_setting('synchronous_standby_names')")) {
                rs.next();
                if (wanted.equals(rs.getString(1))) return true;
            } catch (SQLException e) {
                closeConnection();
            }
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);   // the postmaster relays the reload
        }
        return false;
    }

    /**
     * What this node's Postgres would refuse among {@code parameters}, by name (empty: it takes them
     * all), in the server's own words plus what each parameter accepts.
     */
    public Map<String, String> parameterProblems(Map<String, Object> parameters) {
        if (parameterCheck == null) parameterCheck = ParameterCheck.forNode(cfg, runner);
        return parameterCheck.problems(parameters, parameterUnits());
    }

    /** pg_settings' unit of each parameter that has one ("" for the rest); empty when Postgres does not answer. */
    private Map<String, String> parameterUnits() {
        if (postmasterPid() == null) return Map.of();
        Map<String, String> units = new java.util.HashMap<>();
        try (Statement st = connection().createStatement();
             ResultSet rs = st.executeQuery("SELECT name, coalesce(unit, '') FROM pg_settings")) {
            while (rs.next()) units.put(rs.getString(1), rs.getString(2));
        } catch (SQLException e) {
            closeConnection();
            return Map.of();
        }
        return units;
    }

    /** pg_rewind against the leader. Postgres must be stopped. */
    public void rewind(HostPort source) {
        files.writePgpass();
        files.setStandbySignal(false);
        String conninfo = files.conninfo(source, cfg.rewindUser(), "postgres");
        CommandRunner.Result r = runner.run(List.of(bin("pg_rewind"), "-D", dataDir().toString(),
                "--source-server=" + conninfo), Duration.ofMinutes(30), dataDir().getParent());
        log.info("pg_rewind: {}", r.tail());
        check(r, "pg_rewind");
    }

    /** Moves the data directory aside (never deletes it) so that a fresh clone can take its place. */
    public Path moveAside() {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        // WAL kept elsewhere (pg_wal a link, e.g. a waldir) goes aside with its data: a new clone may want that place
        Path walDir = linkedWalDir();
        Path walAside = walDir == null ? null : freeSibling(walDir, stamp);
        if (walDir != null) {
            try {
                Files.move(walDir, walAside);
            } catch (IOException e) {
                throw new PostgresException("cannot move the WAL directory " + walDir + " (" + dataDir().resolve("pg_wal")
                        + " links there) aside to " + walAside + ": " + e.getMessage() + "; move it aside by hand");
            }
        }
        Path target = freeSibling(dataDir(), stamp);
        try {
            Files.move(dataDir(), target);
        } catch (IOException e) {
            if (walDir != null) {
                try {
                    Files.move(walAside, walDir);
                } catch (IOException back) {
                    log.warn("could not move {} back to {}: {}", walAside, walDir, back.getMessage());
                }
            }
            throw new PostgresException("cannot move " + dataDir() + " aside to " + target + ": " + e.getMessage());
        }
        if (walAside != null) {
            try {
                Path link = target.resolve("pg_wal");
                Files.delete(link);
                Files.createSymbolicLink(link, walAside);
            } catch (IOException e) {
                log.warn("{} moved aside to {}, but {} could not be pointed there: {}", walDir, walAside, target, e.getMessage());
            }
        }
        return target;
    }

    /** The directory the data directory's pg_wal links to (a waldir), or null when pg_wal is a plain directory. */
    private Path linkedWalDir() {
        Path link = dataDir().resolve("pg_wal");
        if (!Files.isSymbolicLink(link)) return null;
        try {
            Path target = link.getParent().resolve(Files.readSymbolicLink(link)).normalize();
            return Files.isDirectory(target) ? target : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** {@code p}.failed-{@code stamp}, with -2, -3 ... when that name is taken (moved aside once already this second). */
    private static Path freeSibling(Path p, String stamp) {
        Path target = p.resolveSibling(p.getFileName() + ".failed-" + stamp);
        for (int n = 2; Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS); n++) {
            target = p.resolveSibling(p.getFileName() + ".failed-" + stamp + "-" + n);
        }
        return target;
    }

    /** pg_basebackup from the leader into the (empty or absent) data directory, with postgresql.basebackup's options. */
    public void cloneFrom(HostPort source) {
        files.writePgpass();
        try {
            requireNothingInDataDir("clone");
            Files.deleteIfExists(dataDir());
        } catch (IOException e) {
            throw new PostgresException("cannot prepare " + dataDir() + " for cloning: " + e.getMessage());
        }
        List<String> cmd = new ArrayList<>(List.of(bin("pg_basebackup"), "-D", dataDir().toString(),
                "-d", files.conninfo(source, cfg.replicationUser(), "replication"), "-X", "stream", "--no-password"));
        if (cfg.basebackupOptions().stream().noneMatch(o -> o.startsWith("--checkpoint"))) cmd.add("--checkpoint=fast");
        cmd.addAll(cfg.basebackupOptions());
        CommandRunner.Result r = runner.run(cmd, Duration.ofHours(6), dataDir().getParent());
        if (!r.ok()) {
            moveFailedCloneAside();
            throw new PostgresException("pg_basebackup from " + source + " failed: " + r.tail());
        }
    }

    private void moveFailedCloneAside() {
        if (Files.exists(dataDir())) {
            Path aside = moveAside();
            log.warn("partial clone moved to {}", aside);
        }
    }

    /** Creates missing physical slots in {@code wanted} and drops inactive ones not in it. */
    public void syncSlots(List<String> create, List<String> drop) {
        try (Statement st = connection().createStatement()) {
            for (String slot : create) {
                st.execute("SELECT pg_create_physical_replication_slot(" + literal(slot) + ", true)");
                log.info("created replication slot {}", slot);
            }
            for (String slot : drop) {
                st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                        + " WHERE slot_name = " + literal(slot) + " AND NOT active");
                log.info("dropped replication slot {}", slot);
            }
        } catch (SQLException e) {
            closeConnection();
            throw new PostgresException("replication slot maintenance failed: " + e.getMessage());
        }
    }

    /** The WAL a remote standby has received and flushed (pg_last_wal_receive_lsn), or null if unknown. */
    public Lsn remoteReceiveLsn(HostPort standby) {
        try (Connection c = superuserConnection(standby.toString(), 3);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_last_wal_receive_lsn()::text")) {
            rs.next();
            return Lsn.parseOrNull(rs.getString(1));
        } catch (SQLException e) {
            return null;
        }
    }

    public Path logPath() {
        return logFile();
    }

    private static void check(CommandRunner.Result r, String what) {
        if (!r.ok()) {
            throw new PostgresException(what + " failed (exit " + r.exitCode() + "): " + r.tail());
        }
    }

    private void closeConnection() {
        if (conn != null) {
            try {
                conn.close();
            } catch (SQLException ignored) {
                // already broken
            }
            conn = null;
        }
    }

    @Override
    public void close() {
        closeConnection();
    }
}
