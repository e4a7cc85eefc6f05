package io.vigil.agent.it;

import io.vigil.cluster.Lsn;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A client writing one row every {@code intervalMs} to whichever node is primary, recording every
 * acknowledged commit (id, when, and where in the WAL). Bounded: stops after {@code maxMillis} or when stopped.
 */
final class Writer implements AutoCloseable {
    /** An acknowledged commit: its id, when, and the timeline and WAL position its insert was written at. */
    record Ack(long id, long atNanos, long timeline, long lsn) {
    }

    /** The insert, and the timeline (the first 8 hex digits of a WAL file name) and position it was written at. */
    private static final String INSERT = "INSERT INTO acked (id) VALUES (?)"
            + " RETURNING pg_walfile_name(pg_current_wal_insert_lsn()), pg_current_wal_insert_lsn()::text";

    final List<Ack> acked = new CopyOnWriteArrayList<>();
    private final String url;
    private final long intervalMs;
    private final long maxMillis;
    private volatile boolean running = true;
    private final Thread thread;

    Writer(String url, long intervalMs, long maxMillis) {
        this.url = url;
        this.intervalMs = intervalMs;
        this.maxMillis = maxMillis;
        this.thread = new Thread(this::run, "it-writer");
    }

    Writer start() {
        thread.start();
        return this;
    }

    private void run() {
        Properties p = Cluster.superuser();
        long end = System.nanoTime() + maxMillis * 1_000_000L;
        long id = 0;
        Connection c = null;
        while (running && System.nanoTime() < end) {
            long next = System.nanoTime() + intervalMs * 1_000_000L;
            try {
                if (c == null) c = DriverManager.getConnection(url, p);
                try (PreparedStatement st = c.prepareStatement(INSERT)) {
                    st.setLong(1, ++id);
                    try (ResultSet rs = st.executeQuery()) {
                        rs.next();
                        acked.add(new Ack(id, System.nanoTime(), Long.parseLong(rs.getString(1).substring(0, 8), 16),
                                Lsn.parse(rs.getString(2)).value()));
                    }
                }
            } catch (SQLException e) {
                try {
                    if (c != null) c.close();
                } catch (SQLException ignored) {
                    // broken anyway
                }
                c = null;
            }
            long wait = next - System.nanoTime();
            if (wait > 0) java.util.concurrent.locks.LockSupport.parkNanos(wait);
        }
        try {
            if (c != null) c.close();
        } catch (SQLException ignored) {
            // closing
        }
    }

    /** The longest time between two consecutive acknowledged writes, in ms. */
    long longestGapMs() {
        long gap = 0;
        for (int i = 1; i < acked.size(); i++) {
            gap = Math.max(gap, (acked.get(i).atNanos() - acked.get(i - 1).atNanos()) / 1_000_000);
        }
        return gap;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(10_000);
    }
}
