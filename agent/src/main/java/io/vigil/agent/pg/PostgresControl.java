package io.vigil.agent.pg;

import io.vigil.agent.core.LocalPostgres;
import io.vigil.config.HostPort;
import io.vigil.cluster.Lsn;
import io.vigil.config.AgentConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one door to the local Postgres for the rest of the agent: it acts (pg_ctl, initdb, pg_basebackup,
 * pg_rewind, SQL) and hands the look to {@link PostgresObserver}, the sessions to {@link PostgresSessions},
 * the data directory's moves to {@link DataDirectory}. Methods throw {@link PostgresException} with a
 * message an operator can act on.
 */
public final class PostgresControl implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PostgresControl.class);

    private final AgentConfig cfg;
    private final PostgresFiles files;
    private final CommandRunner runner;
    private final PostgresSessions sessions;
    private final PostgresObserver observer;
    private final DataDirectory dataDirectory;
    private final OldDataCopies oldCopies;
    private final CrashLeftovers leftovers;
    private ParameterCheck parameterCheck;

    public PostgresControl(AgentConfig cfg) {
        this.cfg = cfg;
        this.files = new PostgresFiles(cfg);
        this.runner = new CommandRunner(Map.of("PGPASSFILE", cfg.pgpass().toString(), "LC_ALL", "C"));
        this.sessions = new PostgresSessions(cfg);
        this.observer = new PostgresObserver(cfg, files, runner, sessions);
        this.dataDirectory = new DataDirectory(cfg);
        this.oldCopies = new OldDataCopies(cfg.dataDir(), cfg.keepOldData(), cfg.oldDataFreeFloorPercent());
        this.leftovers = new CrashLeftovers(cfg.dataDir(), files.socketDir().resolve(".s.PGSQL." + cfg.pgListen().port() + ".lock"));
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
        return observer.hasData();
    }

    /** The postmaster's pid from postmaster.pid if that process is alive, else null. */
    public Long postmasterPid() {
        return observer.postmasterPid();
    }

    /** The look at the local Postgres this cycle. */
    public LocalPostgres observe() {
        return observer.observe();
    }

    /** After a promotion: the parent timeline and the switch LSN, from the new timeline's history file. */
    public long[] lastTimelineSwitch() {
        return observer.lastTimelineSwitch();
    }

    /** An idle connection for {@link PostmasterDeathWatch}. */
    public Connection idleWatchConnection() throws SQLException {
        return sessions.idleWatch();
    }

    /** The leader's look at its standbys, on a session of its own. */
    public ReplicationWatch replicationWatch() {
        return new ReplicationWatch(sessions::standbyWatch, this::postmasterPid);
    }

    /** The WAL a remote standby has received and flushed (pg_last_wal_receive_lsn), or null if unknown. */
    public Lsn remoteReceiveLsn(HostPort standby) {
        return sessions.remoteReceiveLsn(standby);
    }

    // ---------------------------------------------------------------- act

    /** initdb, bootstrap config, start as primary, create the replication (and rewind) roles. Returns the system id. */
    public String bootstrap(Map<String, Object> clusterParameters) {
        dataDirectory.prepareForBootstrap();
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
        try (Statement st = sessions.local().createStatement()) {
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
     * After a failed bootstrap, removes what it wrote (see {@link DataDirectory#discardFailedBootstrap});
     * never while a postmaster runs there. Returns the data directory emptied, or null.
     */
    public Path discardFailedBootstrap() {
        return postmasterPid() != null ? null : dataDirectory.discardFailedBootstrap();
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
        leftovers.clear(postmasterPid() != null);
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

    public enum StopMode { FAST, IMMEDIATE }

    public void stop(StopMode mode, Duration timeout) {
        sessions.closeLocal();
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
        try (Statement st = sessions.local().createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_promote(true, " + timeout.toSeconds() + ")")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                throw new PostgresException("pg_promote did not finish within " + timeout.toSeconds() + " s; see " + logFile());
            }
        } catch (SQLException e) {
            sessions.closeLocal();
            throw new PostgresException("promote failed: " + e.getMessage());
        }
    }

    /** A checkpoint now, so that a following shutdown checkpoint has little to write. */
    public void checkpoint() {
        try (Statement st = sessions.local().createStatement()) {
            st.execute("CHECKPOINT");
        } catch (SQLException e) {
            sessions.closeLocal();
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
        try (Statement st = sessions.local().createStatement()) {
            st.execute("SELECT pg_reload_conf()");   // no pg_ctl to fork
        } catch (SQLException e) {
            sessions.closeLocal();
            follow(clusterParameters, null, null);
        }
        String wanted = names == null ? String.valueOf(clusterParameters.getOrDefault("synchronous_standby_names", ""))
                : names;
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() - deadline < 0) {
            try (Statement st = sessions.local().createStatement();
                 ResultSet rs = st.executeQuery("SELECT current_setting('synchronous_standby_names')")) {
                rs.next();
                if (wanted.equals(rs.getString(1))) return true;
            } catch (SQLException e) {
                sessions.closeLocal();
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
        try (Statement st = sessions.local().createStatement();
             ResultSet rs = st.executeQuery("SELECT name, coalesce(unit, '') FROM pg_settings")) {
            while (rs.next()) units.put(rs.getString(1), rs.getString(2));
        } catch (SQLException e) {
            sessions.closeLocal();
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

    /**
     * Moves the data directory aside so that a fresh clone can take its place; of the copies moved aside,
     * the newest postgresql.keep_old_data stay, fewer while the disk is under old_data_free_floor.
     */
    public Path moveAside() {
        Path aside = dataDirectory.moveAside();
        oldCopies.prune();
        return aside;
    }

    /** pg_basebackup from the leader into the (empty or absent) data directory, with postgresql.basebackup's options. */
    public void cloneFrom(HostPort source) {
        files.writePgpass();
        oldCopies.prune();   // a clone needs the room
        dataDirectory.prepareForClone();
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
        try (Statement st = sessions.local().createStatement()) {
            for (String slot : create) {
                st.execute("SELECT pg_create_physical_replication_slot(" + literal(slot) + ", true)");
                log.info("created replication slot {}", slot);
            }
            for (String slot : drop) {
                try (java.sql.ResultSet rs = st.executeQuery("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                        + " WHERE slot_name = " + literal(slot) + " AND NOT active")) {
                    if (rs.next()) log.info("dropped replication slot {}", slot);   // an active one stays, tried again next cycle
                }
            }
        } catch (SQLException e) {
            sessions.closeLocal();
            throw new PostgresException("replication slot maintenance failed: " + e.getMessage());
        }
    }

    /**
     * Moves each permanent slot forward to its position (on a standby Postgres stops at what it has
     * replayed); a slot that cannot move now (in use, say) is logged and tried again next loop.
     */
    public void advanceSlots(Map<String, Long> to) {
        try (Statement st = sessions.local().createStatement()) {
            for (Map.Entry<String, Long> e : to.entrySet()) {
                try {
                    st.execute("SELECT pg_replication_slot_advance(" + literal(e.getKey()) + ", "
                            + literal(new io.vigil.cluster.Lsn(e.getValue()).toString()) + "::pg_lsn)");
                } catch (SQLException ex) {
                    log.warn("could not advance replication slot {}: {}", e.getKey(), ex.getMessage());
                }
            }
        } catch (SQLException e) {
            sessions.closeLocal();
            throw new PostgresException("replication slot advance failed: " + e.getMessage());
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

    @Override
    public void close() {
        sessions.closeLocal();
    }
}
