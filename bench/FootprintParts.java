import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Resident memory of a JVM that uses only some of the agent's libraries, the way the agent uses
 * them, once a second for a while. Run by bench/footprint-parts.sh; prints one line.
 * Args: parts (comma list of log,yaml,jdbc,metrics,rest,etcd or none) seconds etcdUrl pgPort pgPasswordFile restPort
 */
public final class FootprintParts {
    private interface Part { void tick() throws Exception; }

    public static void main(String[] a) throws Exception {
        io.vigil.agent.Main.libraryDefaults();   // as the agent starts
        Set<String> parts = Set.of(a[0].split(","));
        int seconds = Integer.parseInt(a[1]);
        List<Part> ticks = new ArrayList<>();
        if (parts.contains("log")) {
            org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger("probe");
            ticks.add(() -> log.debug("tick {}", System.nanoTime()));
            log.info("probe logging");
        }
        if (parts.contains("yaml")) {
            var yaml = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
            var json = new com.fasterxml.jackson.databind.ObjectMapper();
            Map<?, ?> cfg = yaml.readValue("name: node1\nscope: demo\nrestapi: {listen: '127.0.0.1:8008'}\n", Map.class);
            ticks.add(() -> json.readValue(json.writeValueAsString(cfg), Map.class));
        }
        if (parts.contains("jdbc")) {
            String pw = Files.readString(Path.of(a[4])).trim();
            Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + a[3] + "/postgres", "postgres", pw);
            ticks.add(() -> {
                try (ResultSet r = c.createStatement().executeQuery("select pg_is_in_recovery(), pg_last_wal_replay_lsn()")) {
                    r.next();
                }
            });
        }
        if (parts.contains("metrics")) {
            var registry = new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
            io.micrometer.core.instrument.Gauge.builder("probe_value", System::nanoTime).register(registry);
            ticks.add(registry::scrape);
        }
        if (parts.contains("rest")) {
            int port = Integer.parseInt(a[5]);
            io.javalin.Javalin.create(c -> {
                c.startup.showJavalinBanner = false;
                c.jetty.host = "127.0.0.1";
                c.jetty.port = port;
                c.routes.get("/", ctx -> ctx.json(Map.of("role", "replica")));
            }).start();
            ticks.add(() -> httpGet(port));
        }
        if (parts.contains("etcd")) {
            var store = io.vigil.store.EtcdStore.connect(List.of(a[2]), "/vigil-probe/" + ProcessHandle.current().pid() + "/", Duration.ofSeconds(3));
            long lease = store.grantLease(30);
            AutoCloseable watch = store.watchLeader(() -> { });
            ticks.add(() -> {
                store.read();
                store.refreshLease(lease);
            });
        }
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            for (Part p : ticks) p.tick();
            Thread.sleep(1000);
        }
        String status = Files.readString(Path.of("/proc/self/status"));
        System.out.printf("%-32s rss %6.1f MB  anon %6.1f MB  file %5.1f MB  threads %s%n", a[0],
                kb(status, "VmRSS") / 1024.0, kb(status, "RssAnon") / 1024.0, kb(status, "RssFile") / 1024.0,
                field(status, "Threads"));
        System.exit(0);
    }

    private static void httpGet(int port) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getInputStream().readAllBytes();
        }
    }

    private static long kb(String status, String key) {
        return Long.parseLong(field(status, key).replace("kB", "").trim());
    }

    private static String field(String status, String key) {
        return status.lines().filter(l -> l.startsWith(key + ":")).findFirst().orElseThrow().substring(key.length() + 1).trim();
    }
}
