package io.vigil.agent.pg;

import io.vigil.cluster.Lsn;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The leader's watch of its standbys: a quick look over a connection of its own (the HA loop's
 * stays the loop's), and the walsenders' process titles, read without asking Postgres. One thread
 * uses it; {@link #close} may come from another.
 */
public final class ReplicationWatch implements AutoCloseable {
    /** Opens a connection to the local Postgres. */
    public interface Connector {
        Connection open() throws SQLException;
    }

    /**
     * One look at a primary: its standbys, then the WAL position written after they were listed.
     *
     * @param checkpointerIdle the checkpointer waits in its main loop or between checkpoint writes,
     *                         where it takes a configuration reload at once (not in an fsync): a
     *                         change of synchronous_standby_names makes commits wait from then on
     * @param syncStandbyNames synchronous_standby_names as this look's sync states were computed with
     */
    public record Look(List<Standby> standbys, Lsn writeLsn, boolean checkpointerIdle, String syncStandbyNames) {
    }

    /** A row of pg_stat_replication. */
    public record Standby(String applicationName, String state, String syncState, Lsn flushLsn) {
    }

    // pg_current_wal_lsn() is evaluated per output row, after the walsenders were read
    private static final String LOOK = "SELECT r.application_name, r.state, r.sync_state, r.flush_lsn::text,"
            + " CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,"
            + " (SELECT wait_event FROM pg_stat_activity WHERE backend_type = 'checkpointer'),"
            + " current_setting('synchronous_standby_names')"
            + " FROM (SELECT 1) AS one LEFT JOIN pg_stat_replication r ON true";

    private final Connector connector;
    private final Supplier<Long> postmasterPid;
    private final WalSenderTitles titles = new WalSenderTitles();
    private Long postmaster;
    private Connection conn;

    ReplicationWatch(Connector connector, Supplier<Long> postmasterPid) {
        this.connector = connector;
        this.postmasterPid = postmasterPid;
    }

    /** A look at the standbys; null when Postgres is not a running primary or does not answer. */
    public Look look() {
        try {
            List<Standby> standbys = new ArrayList<>();
            Lsn write = null;
            String checkpointer = null;
            String names = null;
            try (Statement st = connection().createStatement();
                 ResultSet rs = st.executeQuery(LOOK)) {
                while (rs.next()) {
                    write = Lsn.parseOrNull(rs.getString(5));
                    checkpointer = rs.getString(6);
                    names = rs.getString(7);
                    if (rs.getString(1) != null) {
                        standbys.add(new Standby(rs.getString(1), rs.getString(2), rs.getString(3),
                                Lsn.parseOrNull(rs.getString(4))));
                    }
                }
            }
            if (write == null) return null;   // in recovery
            boolean idle = "CheckpointerMain".equals(checkpointer) || "CheckpointWriteDelay".equals(checkpointer);
            return new Look(List.copyOf(standbys), write, idle, names);
        } catch (SQLException e) {
            close();
            return null;
        }
    }

    /** "pid:state" of each walsender, from their process titles; null when that cannot be read. */
    public String walSenders() {
        if (postmaster == null) postmaster = postmasterPid.get();   // kept while its children file reads
        String senders = postmaster == null ? null : titles.read(postmaster);
        if (senders == null) postmaster = null;
        return senders;
    }

    private Connection connection() throws SQLException {
        if (conn == null || conn.isClosed()) conn = connector.open();
        return conn;
    }

    @Override
    public void close() {
        Connection c = conn;
        conn = null;
        if (c == null) return;
        try {
            c.abort(Runnable::run);   // also ends a look blocked in another thread
        } catch (SQLException | RuntimeException ignored) {
            // gone anyway
        }
    }
}
