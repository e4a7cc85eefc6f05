package io.vigil.agent.pg;

import java.io.Closeable;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.postgresql.PGConnection;

/**
 * Waits for the local postmaster to die without polling. A backend exits the moment its postmaster
 * dies, so a blocking read on an idle connection returns then. Without such a connection (Postgres
 * down, starting, or refusing us) it sleeps one poll interval instead, and connects again at most
 * once per retry interval. Used by one thread; {@link #close} may come from another.
 */
public final class PostmasterDeathWatch implements Closeable {
    /** Opens an idle connection to the local Postgres with no read timeout. */
    public interface Connector {
        Connection open() throws SQLException;
    }

    private final Connector connector;
    private final LongSupplier clock;
    private final long pollNanos;
    private final long retryNanos;
    private volatile Connection conn;
    private volatile boolean closed;
    private long nextConnectAt;

    public PostmasterDeathWatch(Connector connector, LongSupplier clock, long pollMillis, long retryMillis) {
        this.connector = connector;
        this.clock = clock;
        this.pollNanos = TimeUnit.MILLISECONDS.toNanos(pollMillis);
        this.retryNanos = TimeUnit.MILLISECONDS.toNanos(retryMillis);
        this.nextConnectAt = clock.getAsLong();
    }

    /**
     * Returns when the postmaster may have changed: at once when the watched connection breaks,
     * otherwise after one poll interval. {@code postmasterAlive}: whether it was alive at the last look.
     */
    public void await(boolean postmasterAlive) {
        if (closed) return;
        if (!postmasterAlive) {
            drop();
            LockSupport.parkNanos(pollNanos);
            return;
        }
        Connection c = conn;
        if (c == null && clock.getAsLong() - nextConnectAt >= 0) {
            nextConnectAt = clock.getAsLong() + retryNanos;
            c = connect();
        }
        if (c == null) {
            LockSupport.parkNanos(pollNanos);
            return;
        }
        try {
            c.unwrap(PGConnection.class).getNotifications(0);   // blocks until the backend goes away
        } catch (SQLException e) {
            drop();
        }
    }

    /** Whether a connection is being watched. */
    public boolean watching() {
        return conn != null;
    }

    private Connection connect() {
        try {
            Connection c = connector.open();
            conn = c;
            if (closed) drop();   // closed while we connected
            return conn;
        } catch (SQLException e) {
            return null;   // polled until Postgres takes connections
        }
    }

    private void drop() {
        Connection c = conn;
        conn = null;
        if (c == null) return;
        try {
            c.abort(Runnable::run);   // closes the socket without waiting for a reader's lock
        } catch (SQLException | RuntimeException e) {
            // already gone
        }
    }

    /** Ends a blocked {@link #await} at once. */
    @Override
    public void close() {
        closed = true;
        drop();
    }
}
