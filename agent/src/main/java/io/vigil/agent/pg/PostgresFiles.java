package io.vigil.agent.pg;

import io.vigil.config.HostPort;
import io.vigil.config.AgentConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files Vigil owns in and beside the data directory: {@code vigil.conf} (included last by
 * postgresql.conf, rewritten before every start), {@code standby.signal}, {@code pg_hba.conf} and
 * the pgpass file. Passwords go only into the pgpass file (mode 600), never into Postgres's config.
 */
public final class PostgresFiles {
    static final String MANAGED_CONF = "vigil.conf";
    private static final String UPSTREAM_MARK = "# vigil-upstream: ";

    private final AgentConfig cfg;
    private volatile Map<String, Object> localParameters;
    private volatile String syncStandbyNames;
    private volatile boolean noStream;

    public PostgresFiles(AgentConfig cfg) {
        this.cfg = cfg;
        this.localParameters = cfg.localParameters();
        this.noStream = cfg.tags().noStream();
    }

    /**
     * The nostream tag: a replica replays WAL from the archive only (restore_command), with no
     * primary_conninfo and no slot; written at the next rewrite.
     */
    public void setNoStream(boolean value) {
        this.noStream = value;
    }

    /** This node's own Postgres parameters (postgresql.parameters in the node config), applied last. */
    public Map<String, Object> localParameters() {
        return localParameters;
    }

    /** synchronous_standby_names Vigil writes (null: not written; Postgres's own default applies). */
    public String syncStandbyNames() {
        return syncStandbyNames;
    }

    public void setSyncStandbyNames(String value) {
        this.syncStandbyNames = value;
    }

    /** Takes new local parameters after the node config was re-read; written at the next rewrite. */
    public void setLocalParameters(Map<String, Object> parameters) {
        this.localParameters = Map.copyOf(parameters);
    }

    Path dataDir() {
        return cfg.dataDir();
    }

    Path socketDir() {
        return cfg.dataDir().getParent();
    }

    /** Parameters Vigil needs for HA; the cluster-wide and local ones are applied on top, except these keys. */
    private Map<String, Object> baseParameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("wal_level", "replica");
        p.put("hot_standby", "on");
        p.put("wal_log_hints", "on");
        p.put("max_wal_senders", 10);
        p.put("max_replication_slots", 10);
        p.put("wal_keep_size", "128MB");
        p.put("wal_retrieve_retry_interval", "1s");
        p.put("wal_receiver_timeout", "10s");
        p.put("wal_sender_timeout", "10s");
        return p;
    }

    /** Rewrites vigil.conf: parameters, addresses, and (for a replica) where to stream from. */
    public void writeManagedConf(Map<String, Object> clusterParameters, String upstreamName, HostPort upstream) {
        Map<String, Object> p = baseParameters();
        p.putAll(clusterParameters);
        p.putAll(localParameters);
        if (syncStandbyNames != null) p.put("synchronous_standby_names", syncStandbyNames);
        p.put("listen_addresses", cfg.pgListen().host());
        p.put("port", cfg.pgListen().port());
        p.put("unix_socket_directories", socketDir().toString());
        p.put("cluster_name", cfg.scope() + "-" + cfg.name());
        p.put("recovery_target_timeline", "latest");
        if (upstream != null && !noStream) {
            p.put("primary_conninfo", conninfo(upstream, cfg.replicationUser(), "replication"));
            p.put("primary_slot_name", AgentConfig.slotName(cfg.name()));
        } else {
            p.remove("primary_conninfo");
            p.remove("primary_slot_name");
        }
        StringBuilder sb = new StringBuilder();
        sb.append("# Written by Vigil before every start and on every change of upstream. Do not edit:\n");
        sb.append("# set parameters under postgresql.parameters in the node config or the cluster config.\n");
        if (upstreamName != null) {
            sb.append(UPSTREAM_MARK).append(upstreamName).append('\n');
        }
        p.forEach((k, v) -> sb.append(k).append(" = ").append(quote(v)).append('\n'));
        writeAtomically(cfg.dataDir().resolve(MANAGED_CONF), sb.toString());
    }

    /** libpq connection string to {@code target}, with credentials from the pgpass file. */
    public String conninfo(HostPort target, String user, String dbname) {
        StringBuilder sb = new StringBuilder();
        sb.append("host=").append(target.host()).append(" port=").append(target.port())
                .append(" user=").append(user)
                .append(" passfile=").append(cfg.pgpass())
                .append(" application_name=").append(AgentConfig.slotName(cfg.name()))
                .append(" connect_timeout=3 keepalives=1 keepalives_idle=5 keepalives_interval=2 keepalives_count=3");
        if (!"replication".equals(dbname)) {
            sb.append(" dbname=").append(dbname);
        }
        return sb.toString();
    }

    /** The member name recorded in vigil.conf as the current upstream, or null. */
    public String readUpstream() {
        Path conf = cfg.dataDir().resolve(MANAGED_CONF);
        try {
            if (!Files.exists(conf)) return null;
            for (String line : Files.readAllLines(conf)) {
                if (line.startsWith(UPSTREAM_MARK)) return line.substring(UPSTREAM_MARK.length()).strip();
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Makes postgresql.conf include vigil.conf last (once). */
    void includeManagedConf() {
        Path pgconf = cfg.dataDir().resolve("postgresql.conf");
        try {
            String text = Files.readString(pgconf);
            String line = "include '" + MANAGED_CONF + "'";
            if (!text.contains(line)) {
                Files.writeString(pgconf, text + "\n# Vigil's settings win: keep this line last.\n" + line + "\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot update " + pgconf, e);
        }
    }

    void writeHba() {
        List<String> lines = cfg.pgHba().isEmpty() ? List.of(
                "local all all peer",
                "host all all 127.0.0.1/32 scram-sha-256",
                "host all all ::1/128 scram-sha-256",
                "host replication " + cfg.replicationUser() + " 127.0.0.1/32 scram-sha-256",
                "host replication " + cfg.replicationUser() + " ::1/128 scram-sha-256",
                "host all all 0.0.0.0/0 scram-sha-256",
                "host replication " + cfg.replicationUser() + " 0.0.0.0/0 scram-sha-256") : cfg.pgHba();
        writeAtomically(cfg.dataDir().resolve("pg_hba.conf"),
                "# Written by Vigil at bootstrap (postgresql.pg_hba in the node config).\n" + String.join("\n", lines) + "\n");
    }

    /** Writes the pgpass file (mode 600) with the superuser, replication and rewind passwords. */
    public void writePgpass() {
        StringBuilder sb = new StringBuilder();
        sb.append("*:*:*:").append(escape(cfg.superuser())).append(':').append(escape(cfg.superuserPassword().reveal())).append('\n');
        sb.append("*:*:*:").append(escape(cfg.replicationUser())).append(':').append(escape(cfg.replicationPassword().reveal())).append('\n');
        if (!cfg.rewindUser().equals(cfg.superuser())) {
            sb.append("*:*:*:").append(escape(cfg.rewindUser())).append(':').append(escape(cfg.rewindPassword().reveal())).append('\n');
        }
        Path file = cfg.pgpass();
        if (holds(file, sb.toString())) return;   // nothing to write: a start on a full disk still works
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, sb.toString());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write pgpass file " + file, e);
        }
    }

    /** The file exists with mode 600 and exactly this content. */
    private static boolean holds(Path file, String content) {
        try {
            return Files.getPosixFilePermissions(file).equals(PosixFilePermissions.fromString("rw-------"))
                    && Files.readString(file).equals(content);
        } catch (IOException e) {
            return false;
        }
    }

    void setStandbySignal(boolean standby) {
        Path signal = cfg.dataDir().resolve("standby.signal");
        try {
            if (standby) {
                if (!Files.exists(signal)) Files.createFile(signal);
            } else {
                Files.deleteIfExists(signal);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot change " + signal, e);
        }
    }

    static String quote(Object v) {
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        return "'" + String.valueOf(v).replace("\\", "\\\\").replace("'", "''") + "'";
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace(":", "\\:");
    }

    static void writeAtomically(Path file, String content) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, content);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
