package io.vigil.agent.it;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Tries a write on every node directly, every 100 ms, and records when each node accepted one.
 * Two nodes whose accepting intervals overlap were both writable primaries at the same time.
 */
final class SplitBrainProbe implements AutoCloseable {
    record Accept(String node, long atNanos) {
    }

    /** A run of consecutive accepted probes on one node. */
    record Interval(String node, long fromNanos, long toNanos) {
        boolean overlaps(Interval o) {
            return fromNanos <= o.toNanos && o.fromNanos <= toNanos;
        }
    }

    private final List<Cluster.Node> nodes;
    private final List<Accept> accepts = new CopyOnWriteArrayList<>();
    private final Map<String, Connection> connections = new ConcurrentHashMap<>();
    private volatile boolean running = true;
    private final List<Thread> threads = new ArrayList<>();

    private final long maxMillis;

    SplitBrainProbe(List<Cluster.Node> nodes) {
        this(nodes, 3_600_000L);
    }

    /** Probes for at most {@code maxMillis}. */
    SplitBrainProbe(List<Cluster.Node> nodes, long maxMillis) {
        this.nodes = nodes;
        this.maxMillis = maxMillis;
        for (Cluster.Node n : nodes) {
            Thread t = new Thread(() -> loop(n), "split-brain-probe-" + n.name);
            t.setDaemon(true);
            threads.add(t);
        }
    }

    /** Starts probing; the caller has created {@code probe (node text, at timestamptz)} on the primary. */
    SplitBrainProbe start() {
        threads.forEach(Thread::start);
        return this;
    }

    /** One node, every 100 ms, for at most maxMillis. */
    private void loop(Cluster.Node n) {
        long end = System.nanoTime() + maxMillis * 1_000_000L;
        while (running && System.nanoTime() < end) {
            long next = System.nanoTime() + 100_000_000L;
            if (tryWrite(n)) accepts.add(new Accept(n.name, System.nanoTime()));
            long wait = next - System.nanoTime();
            if (wait > 0) java.util.concurrent.locks.LockSupport.parkNanos(wait);
        }
    }

    private boolean tryWrite(Cluster.Node n) {
        try {
            Connection c = connections.get(n.name);
            if (c == null) {
                Properties p = Cluster.superuser();
                p.setProperty("connectTimeout", "1");
                p.setProperty("socketTimeout", "1");
                p.setProperty("loginTimeout", "1");
                c = DriverManager.getConnection("jdbc:postgresql://" + n.host + ":" + n.pgPort + "/postgres", p);
                connections.put(n.name, c);
            }
            try (Statement st = c.createStatement()) {
                st.execute("SET synchronous_commit = local");
                st.execute("INSERT INTO probe (node) VALUES ('" + n.name + "')");
            }
            return true;
        } catch (SQLException e) {
            Connection c = connections.remove(n.name);
            try {
                if (c != null) c.close();
            } catch (SQLException ignored) {
                // broken anyway
            }
            return false;
        }
    }

    /** Accepting intervals per node: probes of one node less than {@code gapNanos} apart belong together. */
    List<Interval> intervals(long gapNanos) {
        List<Interval> out = new ArrayList<>();
        for (Cluster.Node n : nodes) {
            long from = -1;
            long last = -1;
            for (Accept a : accepts) {
                if (!a.node().equals(n.name)) continue;
                if (from >= 0 && a.atNanos() - last > gapNanos) {
                    out.add(new Interval(n.name, from, last));
                    from = -1;
                }
                if (from < 0) from = a.atNanos();
                last = a.atNanos();
            }
            if (from >= 0) out.add(new Interval(n.name, from, last));
        }
        return out;
    }

    /** Pairs of intervals of different nodes that overlap: two writable primaries at once. */
    List<String> overlaps() {
        List<Interval> all = intervals(350_000_000L);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            for (int j = i + 1; j < all.size(); j++) {
                Interval a = all.get(i);
                Interval b = all.get(j);
                if (!a.node().equals(b.node()) && a.overlaps(b)) out.add(a + " overlaps " + b);
            }
        }
        return out;
    }

    int acceptCount() {
        return accepts.size();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) t.join(5_000);
        connections.values().forEach(c -> {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing
            }
        });
    }
}
