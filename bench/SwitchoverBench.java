import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Switchover write-unavailability on the demo cluster behind HAProxy (demo.sh up --haproxy).
 * A client inserts a row every 20 ms through 127.0.0.1:5000; N switchovers are posted over HTTP,
 * alternately to the leader's and to a replica's API. Prints, per switchover, the longest gap
 * between two acknowledged writes and the time from the POST to the first write on the new
 * primary, then min / median / max, and checks that no acknowledged write was lost.
 * Run: java -cp agent/target/vigil.jar bench/SwitchoverBench.java [ROUNDS]
 */
public class SwitchoverBench {
    static final String DIR = System.getenv().getOrDefault("VIGIL_DEMO_DIR", "/tmp/vigil-demo");
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    record Ack(long id, long atNanos) {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        String pgPassword = Files.readString(Path.of(DIR, "pg-password")).strip();
        String auth = "Basic " + Base64.getEncoder().encodeToString(
                ("vigil:" + Files.readString(Path.of(DIR, "rest-password")).strip()).getBytes());
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", pgPassword);
        p.setProperty("connectTimeout", "1");
        p.setProperty("socketTimeout", "3");
        String url = "jdbc:postgresql://127.0.0.1:5000/postgres";
        try (Connection c = DriverManager.getConnection(url, p); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS bench_switchover (id bigint PRIMARY KEY, at timestamptz DEFAULT now())");
            st.execute("TRUNCATE bench_switchover");
        }
        List<Ack> acks = new CopyOnWriteArrayList<>();
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        boolean[] running = {true};
        Thread writer = new Thread(() -> {
            long id = 0;
            Connection c = null;
            while (running[0] && System.nanoTime() < deadline) {
                long next = System.nanoTime() + 20_000_000L;
                try {
                    if (c == null) c = DriverManager.getConnection(url, p);
                    try (PreparedStatement st = c.prepareStatement("INSERT INTO bench_switchover (id) VALUES (?)")) {
                        st.setLong(1, ++id);
                        st.executeUpdate();
                    }
                    acks.add(new Ack(id, System.nanoTime()));
                } catch (SQLException e) {
                    try { if (c != null) c.close(); } catch (SQLException ignored) { }
                    c = null;
                }
                long wait = next - System.nanoTime();
                if (wait > 0) LockSupport.parkNanos(wait);
            }
        });
        writer.start();
        List<Double> gaps = new ArrayList<>();
        List<Double> toFirstWrite = new ArrayList<>();
        for (int r = 1; r <= rounds; r++) {
            awaitHealthy();
            String cluster = get("http://127.0.0.1:8008/cluster");
            String leader = leaderOf(cluster);
            List<String> replicas = replicasOf(cluster);
            String candidate = replicas.get(0);
            String postTo = r % 2 == 1 ? leader : replicas.get(1);
            int before = acks.size();
            long posted = System.nanoTime();
            HttpResponse<String> resp = HTTP.send(HttpRequest.newBuilder(URI.create(apiOf(postTo) + "/switchover"))
                    .header("Authorization", auth).timeout(Duration.ofSeconds(90))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"leader\":\"" + leader + "\",\"candidate\":\"" + candidate + "\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (resp.statusCode() != 200) throw new IllegalStateException("switchover failed: " + resp.statusCode() + " " + resp.body());
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (acks.size() < before + 25 && System.nanoTime() < until) LockSupport.parkNanos(10_000_000L);
            double gap = 0;
            double first = Double.NaN;
            for (int i = Math.max(1, before); i < acks.size(); i++) {
                gap = Math.max(gap, (acks.get(i).atNanos() - acks.get(i - 1).atNanos()) / 1e9);
            }
            for (Ack a : acks.subList(before, acks.size())) {
                if (a.atNanos() > posted && a.atNanos() - acks.get(Math.max(0, acks.indexOf(a) - 1)).atNanos() >= gap * 1e9 - 1) {
                    first = (a.atNanos() - posted) / 1e9;
                    break;
                }
            }
            gaps.add(gap);
            toFirstWrite.add(first);
            System.err.printf("switchover %d: %s -> %s (POST to %s): longest write gap %.3f s, POST to first write on new primary %.3f s%n",
                    r, leader, candidate, postTo, gap, first);
        }
        running[0] = false;
        writer.join();
        Set<Long> stored = new HashSet<>();
        try (Connection c = DriverManager.getConnection(url, p); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id FROM bench_switchover")) {
            while (rs.next()) stored.add(rs.getLong(1));
        }
        long lost = acks.stream().filter(a -> !stored.contains(a.id())).count();
        System.out.printf("switchovers: %d   acknowledged writes: %d   lost: %d%n", rounds, acks.size(), lost);
        System.out.printf("%-40s %6s %8s %6s%n", "seconds", "min", "median", "max");
        System.out.printf("%-40s %s%n", "longest write gap (through HAProxy)", stats(gaps));
        System.out.printf("%-40s %s%n", "POST -> first write on the new primary", stats(toFirstWrite));
        if (lost > 0) System.exit(1);
    }

    static String stats(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        double med = s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
        return String.format("%6.2f %8.2f %6.2f", s.get(0), med, s.get(s.size() - 1));
    }

    static void awaitHealthy() throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < until) {
            boolean healthy = true;
            for (String node : List.of("node1", "node2", "node3")) {
                String c = get(apiOf(node) + "/cluster");
                healthy &= leaderOf(c) != null && replicasOf(c).size() == 2;
            }
            if (healthy) return;
            LockSupport.parkNanos(100_000_000L);
        }
        throw new IllegalStateException("cluster not healthy within 120 s");
    }

    static String get(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return "";
        }
    }

    static String leaderOf(String cluster) {
        Matcher m = Pattern.compile("\"name\":\"(\\w+)\",\"role\":\"leader\"").matcher(cluster);
        return m.find() ? m.group(1) : null;
    }

    static List<String> replicasOf(String cluster) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\"name\":\"(\\w+)\",\"role\":\"replica\",\"state\":\"streaming\"").matcher(cluster);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    static String apiOf(String node) {
        return "http://127.0.0.1:" + (8007 + Integer.parseInt(node.replace("node", "")));
    }
}
