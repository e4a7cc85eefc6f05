package io.vigil.agent.cli;

import io.vigil.agent.core.Candidacy;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Member;
import io.vigil.config.AgentConfig;
import io.vigil.config.ClusterSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A failover drill: on a healthy cluster, a switchover to a replica and back while a probe writes
 * every 20 ms; reports write unavailability per step, acknowledged writes lost (must be 0), lag
 * before and after, and how long until every replica streams again.
 */
@Command(name = "drill", description = "Switchover to a replica and back under a write probe; prints a report.")
public final class Drill extends CliCommand {
    private static final Duration STREAM_BOUND = Duration.ofSeconds(120);

    @Option(names = "--dsn", description = "where the probe writes (jdbc:postgresql://... or postgresql://...);"
            + " default: every member, read-write")
    String dsn;
    @Option(names = "--user", description = "probe user (default: the superuser in the node config)")
    String user;
    @Option(names = "--interval-ms", defaultValue = "20", description = "probe write interval (default 20)")
    long intervalMs;
    @Option(names = "--force", description = "do not ask for confirmation")
    boolean force;

    record Step(String name, String from, String to, long gapMs, long streamingAfterMs, boolean ok, String detail) {
    }

    @Override
    int run() throws Exception {
        ClusterView v = ViewCommands.read(target);
        String unhealthy = unhealthy(v);
        if (unhealthy != null) {
            err.println("drill refused, nothing was done: " + unhealthy);
            return 1;
        }
        String idle = inactiveSlots(url(v), props());
        if (idle != null) {
            err.println("drill refused, nothing was done: " + idle);
            return 1;
        }
        String leader = v.leader().orElseThrow().name();
        String candidate = best(v, leader);
        if (!confirm("Run a drill on " + target.scopeName() + ": switchover " + leader + " -> " + candidate + " and back?", force)) {
            err.println("Aborted");
            return 1;
        }
        long lagBefore = maxLag(v);
        Probe probe = new Probe(url(v), props(), intervalMs);
        probe.prepare();
        probe.start();
        List<Step> steps = new ArrayList<>();
        try {
            probe.awaitAcks(20, Duration.ofSeconds(30));
            steps.add(switchover("switchover", leader, candidate, probe));
            if (steps.get(0).ok()) steps.add(switchover("switchback", candidate, leader, probe));
            probe.awaitAcks(probe.acked.size() + 20, Duration.ofSeconds(30));
        } finally {
            probe.stop();
        }
        ClusterView after = ViewCommands.read(target);
        long lost = probe.lost(url(after));
        probe.cleanUp(url(after));
        out.print(report(steps, probe.acked.size(), lost, lagBefore, maxLag(after)));
        boolean ok = lost == 0 && steps.size() == 2 && steps.stream().allMatch(Step::ok);
        out.println(ok ? "drill passed" : "drill FAILED");
        return ok ? 0 : 1;
    }

    /** Why the cluster is not fit for a drill, or null. */
    static String unhealthy(ClusterView v) {
        ClusterSettings s = ViewCommands.settings(v);
        if (v.leader().isEmpty()) return "the cluster has no leader";
        if (s.paused()) return "the cluster is paused (maintenance mode)";
        if (v.failover().isPresent()) return "a switchover or failover is already pending";
        String leader = v.leader().get().name();
        Member lm = v.members().get(leader);
        if (lm == null || !lm.isRunningPrimary()) {
            return "leader " + leader + " is not a running primary";
        }
        if (v.members().size() < 2) return "there is no replica to switch over to";
        for (Member m : v.members().values()) {
            if (m.name().equals(leader)) continue;
            if (m.role() != io.vigil.cluster.MemberRole.REPLICA || m.state() != io.vigil.cluster.MemberState.STREAMING) {
                return m.name() + " is " + m.state() + " (" + m.role() + "), not a streaming replica";
            }
        }
        return null;
    }

    /**
     * A member whose agent is gone drops out of etcd, but its replication slot on the primary stays:
     * an inactive physical slot means a replica is missing.
     */
    static String inactiveSlots(String url, Properties props) throws SQLException {
        List<String> idle = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url, props); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical'"
                     + " AND NOT active AND NOT temporary ORDER BY 1")) {
            while (rs.next()) idle.add(rs.getString(1));
        }
        return idle.isEmpty() ? null : "replication slot(s) " + idle + " on the primary are not in use: a replica is"
                + " not connected (a stopped node, or a stale slot to drop)";
    }

    static String best(ClusterView v, String leader) {
        return v.members().values().stream().filter(m -> !m.name().equals(leader)
                && Candidacy.whyNot(ViewCommands.settings(v), v, leader, m) == null).map(Member::name).findFirst()
                .orElseThrow(() -> new Target.Problem("no replica may take over; vigil list says why"));
    }

    static long maxLag(ClusterView v) {
        String leader = v.leader().map(l -> l.name()).orElse(null);
        return v.members().values().stream().filter(m -> !m.name().equals(leader))
                .mapToLong(m -> Candidacy.lag(v, leader, m)).filter(l -> l != Long.MAX_VALUE).max().orElse(0);
    }

    private Step switchover(String name, String from, String to, Probe probe) throws Exception {
        int before = probe.acked.size();
        long started = System.nanoTime();
        RestCall.Reply r = rest().toAny(ViewCommands.read(target), "POST", "/switchover",
                "{\"leader\":\"" + from + "\",\"candidate\":\"" + to + "\"}", Duration.ofSeconds(150));
        if (!r.ok()) return new Step(name, from, to, 0, 0, false, r.status() + ": " + r.body());
        long deadline = System.nanoTime() + STREAM_BOUND.toNanos();
        long streamingAt = 0;
        while (System.nanoTime() < deadline) {
            ClusterView v = ViewCommands.read(target);
            if (v.isLeader(to) && unhealthy(v) == null) {
                streamingAt = System.nanoTime();
                break;
            }
            Thread.sleep(200);
        }
        if (streamingAt == 0) {
            return new Step(name, from, to, probe.longestGapMs(before), 0, false,
                    "replicas did not all stream again within " + STREAM_BOUND.toSeconds() + " s");
        }
        probe.awaitAcks(probe.acked.size() + 10, Duration.ofSeconds(30));
        return new Step(name, from, to, probe.longestGapMs(before), (streamingAt - started) / 1_000_000, true, "");
    }

    private String url(ClusterView v) {
        if (dsn != null) {
            if (dsn.startsWith("jdbc:")) return dsn;
            if (dsn.startsWith("postgres://") || dsn.startsWith("postgresql://")) {
                return "jdbc:postgresql://" + dsn.substring(dsn.indexOf("://") + 3);
            }
            throw new Target.Problem("--dsn must be a URL: jdbc:postgresql://host:port/db or postgresql://host:port/db");
        }
        String hosts = v.members().values().stream().filter(m -> m.connUrl() != null)
                .map(m -> m.host() + ":" + m.port()).collect(Collectors.joining(","));
        return "jdbc:postgresql://" + hosts + "/postgres?targetServerType=primary&connectTimeout=1&socketTimeout=3"
                + "&loginTimeout=2";
    }

    private Properties props() {
        Properties p = new Properties();
        AgentConfig c = target.config();
        p.setProperty("user", user != null ? user : c != null ? c.superuser() : "postgres");
        String pw = System.getenv("PGPASSWORD");
        if (pw == null && c != null && c.superuserPassword() != null) pw = c.superuserPassword().reveal();
        if (pw != null) p.setProperty("password", pw);
        p.setProperty("ApplicationName", "vigil-drill");
        return p;
    }

    static String report(List<Step> steps, int acked, long lost, long lagBefore, long lagAfter) {
        Table t = new Table(List.of("Step", "From", "To", "Write gap (ms)", "All streaming after (ms)", "Result"));
        for (Step s : steps) {
            t.row(List.of(s.name(), s.from(), s.to(), String.valueOf(s.gapMs()), String.valueOf(s.streamingAfterMs()),
                    s.ok() ? "ok" : "FAILED: " + s.detail()));
        }
        return t.render("Drill") + " Acknowledged writes: " + acked + ", lost: " + lost + "\n"
                + " Replication lag before: " + io.vigil.cluster.Lsn.size(lagBefore) + ", after: "
                + io.vigil.cluster.Lsn.size(lagAfter) + "\n";
    }

    /** Writes one row every interval through {@code url}, recording each acknowledged id and when. */
    static final class Probe {
        record Ack(long id, long atNanos) {
        }

        final List<Ack> acked = new CopyOnWriteArrayList<>();
        private final String url;
        private final Properties props;
        private final long intervalMs;
        private volatile boolean running = true;
        private Thread thread;

        Probe(String url, Properties props, long intervalMs) {
            this.url = url;
            this.props = props;
            this.intervalMs = intervalMs;
        }

        void prepare() throws SQLException {
            try (Connection c = DriverManager.getConnection(url, props); Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS vigil_drill");
                st.execute("CREATE TABLE vigil_drill (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())");
            }
        }

        void start() {
            thread = new Thread(this::loop, "vigil-drill-probe");
            thread.setDaemon(true);
            thread.start();
        }

        private void loop() {
            long id = 0;
            Connection c = null;
            long end = System.nanoTime() + Duration.ofMinutes(15).toNanos();
            while (running && System.nanoTime() < end) {
                long next = System.nanoTime() + intervalMs * 1_000_000L;
                try {
                    if (c == null) c = DriverManager.getConnection(url, props);
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO vigil_drill (id) VALUES (?)")) {
                        ps.setLong(1, ++id);
                        ps.executeUpdate();
                    }
                    acked.add(new Ack(id, System.nanoTime()));
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

        void awaitAcks(int count, Duration within) throws InterruptedException {
            long deadline = System.nanoTime() + within.toNanos();
            while (acked.size() < count && System.nanoTime() < deadline) Thread.sleep(20);
            if (acked.size() < count) throw new Target.Problem("the probe could not write (" + acked.size() + " of "
                    + count + " writes acknowledged); check --dsn and the password");
        }

        long longestGapMs(int fromIndex) {
            long gap = 0;
            for (int i = Math.max(1, fromIndex); i < acked.size(); i++) {
                gap = Math.max(gap, (acked.get(i).atNanos() - acked.get(i - 1).atNanos()) / 1_000_000);
            }
            return gap;
        }

        void stop() throws InterruptedException {
            running = false;
            if (thread != null) thread.join(10_000);
        }

        long lost(String finalUrl) throws SQLException {
            Set<Long> present = new HashSet<>();
            try (Connection c = DriverManager.getConnection(finalUrl, props); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT id FROM vigil_drill")) {
                while (rs.next()) present.add(rs.getLong(1));
            }
            return acked.stream().filter(a -> !present.contains(a.id())).count();
        }

        void cleanUp(String finalUrl) {
            try (Connection c = DriverManager.getConnection(finalUrl, props); Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS vigil_drill");
            } catch (SQLException e) {
                // the report matters more; the table is named for what it is
            }
        }
    }
}
