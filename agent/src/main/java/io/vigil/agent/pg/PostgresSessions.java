package io.vigil.agent.pg;

import io.vigil.config.HostPort;
import io.vigil.cluster.Lsn;
import io.vigil.config.AgentConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * The agent's JDBC sessions: the one the loop keeps to the local Postgres, the idle one of the
 * postmaster death watch, the standby watch's, and short ones to other members. Short connect and
 * socket timeouts everywhere, so a stalled server costs seconds, not the loop.
 */
final class PostgresSessions implements AutoCloseable {
    private final AgentConfig cfg;
    private Connection local;

    PostgresSessions(AgentConfig cfg) {
        this.cfg = cfg;
    }

    /** The loop's session to the local Postgres, opened on first use (autocommit). */
    Connection local() throws SQLException {
        if (local == null || local.isClosed()) {
            local = superuser(localAddress(), 5, "vigil");
            local.setAutoCommit(true);
        }
        return local;
    }

    /** Drops the loop's session (after an error, or before Postgres stops); the next use opens a new one. */
    void closeLocal() {
        if (local != null) {
            try {
                local.close();
            } catch (SQLException ignored) {
                // already broken
            }
            local = null;
        }
    }

    /**
     * An idle connection for {@link PostmasterDeathWatch}: no read timeout, and none on the server
     * either (idle_session_timeout, Postgres 14 and later).
     */
    Connection idleWatch() throws SQLException {
        Connection c = superuser(localAddress(), 5, "vigil-watch");   // login within 5 s
        try (Statement st = c.createStatement()) {
            if (c.getMetaData().getDatabaseMajorVersion() >= 14) st.execute("SET idle_session_timeout = 0");
            c.setNetworkTimeout(Runnable::run, 0);   // then reads wait as long as the backend lives
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** A session for the leader's look at its standbys ({@link ReplicationWatch}), socket timeout 2 s. */
    Connection standbyWatch() throws SQLException {
        Connection c = superuser(localAddress(), 2, "vigil-sync-watch");
        c.setAutoCommit(true);
        return c;
    }

    /** A replication connection to the local Postgres (IDENTIFY_SYSTEM and the like). */
    Connection localReplication() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", cfg.replicationUser());
        p.setProperty("password", cfg.replicationPassword().reveal());
        p.setProperty("replication", "true");
        p.setProperty("preferQueryMode", "simple");
        p.setProperty("assumeMinServerVersion", "13");
        p.setProperty("connectTimeout", "2");
        p.setProperty("socketTimeout", "3");
        p.setProperty("ApplicationName", "vigil");
        return DriverManager.getConnection("jdbc:postgresql://" + localAddress() + "/postgres", p);
    }

    /** The WAL a remote standby has received and flushed (pg_last_wal_receive_lsn), or null if unknown. */
    Lsn remoteReceiveLsn(HostPort standby) {
        try (Connection c = superuser(standby.toString(), 3, "vigil");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_last_wal_receive_lsn()::text")) {
            rs.next();
            return Lsn.parseOrNull(rs.getString(1));
        } catch (SQLException e) {
            return null;
        }
    }

    @Override
    public void close() {
        closeLocal();
    }

    /** A JDBC connection as the superuser to {@code hostPort}, with short connect and socket timeouts. */
    private Connection superuser(String hostPort, int socketTimeoutSeconds, String applicationName) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", cfg.superuser());
        p.setProperty("password", cfg.superuserPassword().reveal());
        p.setProperty("connectTimeout", "2");
        p.setProperty("socketTimeout", String.valueOf(socketTimeoutSeconds));
        p.setProperty("ApplicationName", applicationName);
        p.setProperty("assumeMinServerVersion", "13");
        return DriverManager.getConnection("jdbc:postgresql://" + hostPort + "/postgres", p);
    }

    /** Where the agent reaches its own Postgres: the listen address, or loopback for a wildcard or a list. */
    private String localAddress() {
        String host = cfg.pgListen().host();
        if (host.equals("0.0.0.0") || host.equals("*") || host.contains(",")) host = "127.0.0.1";
        if (host.equals("::")) host = "::1";
        return new HostPort(host, cfg.pgListen().port()).toString();
    }
}
