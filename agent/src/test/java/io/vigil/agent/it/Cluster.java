package io.vigil.agent.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;

/**
 * A real cluster for integration tests: one etcd, N nodes, each a real Postgres driven by a real
 * agent process ({@code java -jar vigil.jar agent}) running as the Postgres OS user.
 */
final class Cluster implements AutoCloseable {
    static final String PASSWORD = "it-super-pw";
    static final String REST_PASSWORD = "it-rest-pw";
    /** Trusts any certificate: the tests check the agents' HTTPS, not a PKI. */
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1))
            .sslContext(trustAll()).build();

    final Path root;
    final Etcd etcd;
    /** Hosts as network namespaces (null: everything on loopback). */
    final Network net;
    final List<Node> nodes = new ArrayList<>();
    final int ttl;
    final int loopWait;
    final int retryTimeout;
    private final Path jar;
    /** Certificate and key for every node's REST API (HTTPS), or null for plain HTTP. */
    private Path tlsDir;
    /** Added to bootstrap.dcs, e.g. "synchronous_mode: true". */
    private String extraDcs = "";
    /** YAML added under every node's postgresql section (two spaces in, e.g. callbacks). */
    private String postgresqlYaml = "";
    /** YAML appended to a node's config, by node name (e.g. tags). */
    private final Map<String, String> extraYaml = new HashMap<>();
    /** etcd endpoints the agents use, when not etcd's own (e.g. through {@link DelayProxy}s). */
    private List<String> agentEtcdEndpoints;
    private final List<AutoCloseable> extras = new ArrayList<>();

    private static javax.net.ssl.SSLContext trustAll() {
        try {
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
                public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {
                }

                public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {
                }

                public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                    return new java.security.cert.X509Certificate[0];
                }
            }}, null);
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private Cluster(int size, int ttl, int loopWait, int retryTimeout) throws IOException {
        this(size, ttl, loopWait, retryTimeout, null);
    }

    private Cluster(int size, int ttl, int loopWait, int retryTimeout, Network net) throws IOException {
        this.net = net;
        this.ttl = ttl;
        this.loopWait = loopWait;
        this.retryTimeout = retryTimeout;
        root = Leftovers.newDirectory();
        jar = root.resolve("vigil.jar");
        Files.copy(Path.of(System.getProperty("vigil.jar", "target/vigil.jar")), jar);
        etcd = net == null ? new EtcdServer(root.resolve("etcd")) : new EtcdCluster(net, root.resolve("etcd"));
        for (int i = 1; i <= size; i++) {
            nodes.add(new Node("node" + i, root.resolve("node" + i)));
        }
    }

    /** Starts etcd and every agent; returns once one node is primary and the rest stream from it. */
    static Cluster start(int size, int ttl, int loopWait, int retryTimeout) throws IOException {
        return start(new Cluster(size, ttl, loopWait, retryTimeout));
    }

    /** As {@link #start}, with every REST API on HTTPS (a self-signed certificate, also the agents' cafile). */
    static Cluster startWithTls(int size, int ttl, int loopWait, int retryTimeout) throws IOException {
        Cluster c = new Cluster(size, ttl, loopWait, retryTimeout);
        c.tlsDir = c.root.resolve("tls");
        Files.createDirectories(c.tlsDir);
        Processes.run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=vigil-it", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", c.tlsDir.resolve("key.pem").toString(), "-out", c.tlsDir.resolve("cert.pem").toString()));
        return start(c);
    }

    /** As {@link #start}, with more bootstrap.dcs settings and per-node YAML (by node name). */
    static Cluster startWith(int size, int ttl, int loopWait, int retryTimeout, String extraDcs,
                             Map<String, String> extraYaml) throws IOException {
        Cluster c = new Cluster(size, ttl, loopWait, retryTimeout);
        c.extraDcs = extraDcs;
        c.extraYaml.putAll(extraYaml);
        return start(c);
    }

    /** As {@link #start}, with YAML added under every node's postgresql section. */
    static Cluster startWithPostgresql(int size, int ttl, int loopWait, int retryTimeout, String postgresqlYaml)
            throws IOException {
        Cluster c = new Cluster(size, ttl, loopWait, retryTimeout);
        c.postgresqlYaml = postgresqlYaml;
        return start(c);
    }

    /**
     * Each node its own host (a network namespace), etcd as three members in namespaces of their
     * own: the setting for network faults (see {@link Network}).
     */
    static Cluster startIsolated(int size, int ttl, int loopWait, int retryTimeout, String extraDcs) throws IOException {
        Network net = new Network();
        try {
            Cluster c = new Cluster(size, ttl, loopWait, retryTimeout, net);
            c.extraDcs = extraDcs;
            return start(c);
        } catch (RuntimeException | IOException e) {
            net.close();
            throw e;
        }
    }

    /**
     * As {@link #startIsolated}, with the agents' etcd traffic through proxies that add {@code delay}
     * ± {@code jitter} each way (tc netem's job; this kernel has no netem).
     */
    static Cluster startIsolatedWithSlowEtcd(int size, int ttl, int loopWait, int retryTimeout, String extraDcs,
                                             Duration delay, Duration jitter) throws IOException {
        Network net = new Network();
        Cluster c = null;
        try {
            c = new Cluster(size, ttl, loopWait, retryTimeout, net);
            c.extraDcs = extraDcs;
            c.agentEtcdEndpoints = new ArrayList<>();
            for (String endpoint : c.etcd.endpoints()) {
                io.vigil.config.HostPort hp = io.vigil.config.HostPort.parse(endpoint, "etcd endpoint");
                DelayProxy proxy = new DelayProxy(net.gateway(), new java.net.InetSocketAddress(hp.host(), hp.port()),
                        delay, jitter);
                c.extras.add(proxy);
                c.agentEtcdEndpoints.add(proxy.address());
            }
            return start(c);
        } catch (RuntimeException | IOException e) {
            if (c != null) c.extras.forEach(Cluster::closeQuietly);
            net.close();
            throw e;
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }

    /** etcd started and every node's config written, no agent started: for a test that sets a node up first. */
    static Cluster prepare(int size, int ttl, int loopWait, int retryTimeout) throws IOException {
        Cluster c = new Cluster(size, ttl, loopWait, retryTimeout);
        try {
            c.prepare();
            return c;
        } catch (RuntimeException | IOException e) {
            c.close();
            throw e;
        }
    }

    private void prepare() throws IOException {
        etcd.start();
        for (Node n : nodes) n.writeConfig();
        Processes.chownToPgUser(root);
    }

    private static Cluster start(Cluster c) throws IOException {
        int size = c.nodes.size();
        try {
            c.prepare();
            for (Node n : c.nodes) n.startAgent();
            Node primary = c.awaitPrimary(Duration.ofSeconds(90));
            c.awaitStreamingReplicas(primary, size - 1, Duration.ofSeconds(90));
            for (Node n : c.nodes) {
                Awaitility.await(n.name + "'s /cluster shows every replica streaming").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> httpGet(n.api("/cluster")).split("\"state\":\"streaming\"", -1).length - 1 == size - 1);
            }
            return c;
        } catch (RuntimeException | Error e) {
            c.dumpLogs();
            c.close();
            throw e;
        }
    }

    /**
     * Waits until exactly one node answers pg_is_in_recovery() = false and that node's agent says it
     * is the leader (GET /primary is 200), and returns it.
     */
    Node awaitPrimary(Duration within) {
        return Awaitility.await("exactly one primary").atMost(within).pollInterval(Duration.ofMillis(200))
                .until(this::primaries, p -> p.size() == 1 && httpStatus("GET", p.get(0).api("/primary")) == 200)
                .get(0);
    }

    List<Node> primaries() {
        return nodes.stream().filter(n -> Boolean.FALSE.equals(n.inRecovery())).collect(Collectors.toList());
    }

    /** Waits until {@code primary}'s pg_stat_replication shows {@code count} streaming replicas. */
    void awaitStreamingReplicas(Node primary, int count, Duration within) {
        Awaitility.await("streaming replicas on " + primary.name).atMost(within).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions()
                .until(() -> primary.queryLong("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == count);
    }

    Node node(String name) {
        return nodes.stream().filter(n -> n.name.equals(name)).findFirst().orElseThrow();
    }

    /** The login of the Postgres superuser every test node has; callers add their timeouts. */
    static Properties superuser() {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", PASSWORD);
        return p;
    }

    static String httpGet(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    static int httpStatus(String method, String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2))
                    .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** An HTTP request with an optional body and basic auth ({@code user:password}, or null); returns code and body. */
    static String[] http(String method, String url, String body, String userPassword) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(90))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (userPassword != null) {
            b.header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(userPassword.getBytes()));
        }
        try {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new String[] {String.valueOf(r.statusCode()), r.body()};
        } catch (IOException e) {
            return new String[] {"-1", e.toString()};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new String[] {"-1", "interrupted"};
        }
    }

    /** A JDBC URL over every node that connects to whichever is primary. */
    String primaryUrl() {
        return "jdbc:postgresql://" + nodes.stream().map(n -> n.host + ":" + n.pgPort).collect(Collectors.joining(","))
                + "/postgres?targetServerType=primary&connectTimeout=1&socketTimeout=3&loginTimeout=2";
    }

    void dumpLogs() {
        for (Node n : nodes) {
            try {
                List<String> lines = Files.readAllLines(n.dir.resolve("agent.log"));
                System.out.println("----- " + n.name + " agent.log (last 80 lines) -----");
                lines.subList(Math.max(0, lines.size() - 80), lines.size()).forEach(System.out::println);
                Path pgLog = n.dir.resolve("postgresql.log");
                if (Files.exists(pgLog)) {
                    List<String> pg = Files.readAllLines(pgLog);
                    List<String> severe = pg.stream().filter(l -> l.contains("PANIC") || l.contains("FATAL")
                            || (l.contains("ERROR") && !l.contains("read-only transaction"))).toList();
                    System.out.println("----- " + n.name + " postgresql.log, last 15 PANIC/FATAL/ERROR lines -----");
                    severe.subList(Math.max(0, severe.size() - 15), severe.size()).forEach(System.out::println);
                    System.out.println("----- " + n.name + " postgresql.log (last 15 lines) -----");
                    pg.subList(Math.max(0, pg.size() - 15), pg.size()).forEach(System.out::println);
                }
                System.out.println("----- " + n.name + " disk -----");
                java.nio.file.FileStore store = Files.getFileStore(n.dir);
                System.out.printf("%s: %d MB free of %d MB%n", n.dir, store.getUsableSpace() >> 20, store.getTotalSpace() >> 20);
                try (var entries = Files.list(n.dir)) {
                    for (Path e : entries.toList()) System.out.printf("  %8d KB %s%n", sizeOf(e) >> 10, e.getFileName());
                }
                for (String sub : List.of("pg_wal", "base", "pg_replslot")) {
                    Path d = n.dataDir().resolve(sub);
                    if (Files.isDirectory(d)) System.out.printf("  %8d KB data/%s%n", sizeOf(d) >> 10, sub);
                }
                try (var slots = Files.list(n.dataDir().resolve("pg_replslot"))) {
                    System.out.println("  slots: " + slots.map(x -> x.getFileName().toString()).sorted().toList());
                } catch (IOException e) {
                    // no slot directory
                }
            } catch (IOException ignored) {
                // no log yet
            }
        }
    }

    private static long sizeOf(Path p) {
        try (var w = Files.walk(p)) {
            return w.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        } catch (IOException | java.io.UncheckedIOException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        for (Node n : nodes) n.killAgent();
        for (Node n : nodes) {
            Processes.run(Processes.asPgUser(List.of("/usr/lib/postgresql/15/bin/pg_ctl", "stop", "-D",
                    n.dataDir().toString(), "-m", "immediate", "-w", "-t", "10")));
        }
        Processes.killAllIn(root);
        extras.forEach(Cluster::closeQuietly);
        if (net != null) for (Node n : nodes) Processes.run(List.of("umount", "-l", n.dir.toString()));
        etcd.close();
        if (net != null) net.close();
        if (!Boolean.getBoolean("vigil.keepTestDirs")) Processes.deleteTree(root);
    }

    /** One node: its directory, ports, agent process and a way to query its Postgres. */
    final class Node {
        final String name;
        final Path dir;
        final String host;
        final int pgPort;
        final int restPort;
        Process agent;

        Node(String name, Path dir) {
            this.name = name;
            this.dir = dir;
            this.host = net == null ? "127.0.0.1" : net.add(name);
            this.pgPort = net == null ? EtcdServer.freePort() : 5432;
            this.restPort = net == null ? EtcdServer.freePort() : 8008;
        }

        Path dataDir() {
            return dir.resolve("data");
        }

        Path config() {
            return dir.resolve("vigil.yml");
        }

        String api(String path) {
            return (tlsDir == null ? "http://" : "https://") + host + ":" + restPort + path;
        }

        void writeConfig() throws IOException {
            Files.createDirectories(dir);
            if (net != null && Processes.run(List.of("mountpoint", "-q", dir.toString())) != 0) {
                // a small disk of its own, so that a test can fill it
                if (Processes.run(List.of("mount", "-t", "tmpfs", "-o", "size=1g", "tmpfs", dir.toString())) != 0) {
                    throw new IllegalStateException("cannot mount a tmpfs on " + dir);
                }
            }
            Files.writeString(config(), String.join("\n",
                    "scope: it",
                    "name: " + name,
                    "etcd:",
                    "  hosts: [" + String.join(", ", agentEtcdEndpoints != null ? agentEtcdEndpoints : etcd.endpoints()) + "]",
                    "restapi:",
                    "  listen: " + host + ":" + restPort,
                    "  authentication: {username: vigil, password: " + REST_PASSWORD + "}",
                    tlsDir == null ? "" : "  certfile: " + tlsDir.resolve("cert.pem") + "\n  keyfile: "
                            + tlsDir.resolve("key.pem") + "\n  cafile: " + tlsDir.resolve("cert.pem"),
                    "postgresql:",
                    "  data_dir: " + dataDir(),
                    "  listen: " + host + ":" + pgPort,
                    "  authentication:",
                    "    superuser: {username: postgres, password: " + PASSWORD + "}",
                    "    replication: {username: replicator, password: it-repl-pw}",
                    "  parameters: {shared_buffers: 32MB, max_connections: 30, fsync: 'off', max_wal_size: 128MB, min_wal_size: 32MB}",
                    postgresqlYaml,
                    "bootstrap:",
                    "  dcs: {ttl: " + ttl + ", loop_wait: " + loopWait + ", retry_timeout: " + retryTimeout
                            + ", primary_start_timeout: 10" + (extraDcs.isEmpty() ? "" : ", " + extraDcs) + "}",
                    extraYaml.getOrDefault(name, ""),
                    ""));
        }

        void startAgent() {
            List<String> java = new ArrayList<>(UnitJvm.javaCommand(Path.of(System.getProperty("java.home"), "bin", "java")));
            java.addAll(List.of("-jar", jar.toString(), "agent", "-c", config().toString()));
            List<String> cmd = Processes.asPgUser(java);
            if (net != null) cmd = net.in(name, cmd);
            try {
                agent = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("agent.log").toFile())).start();
            } catch (IOException e) {
                throw new IllegalStateException("cannot start agent " + name, e);
            }
        }

        void killAgent() {
            if (agent != null) {
                agent.destroyForcibly();
                try {
                    agent.waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                agent = null;
            }
        }

        long agentPid() {
            return agent.pid();
        }

        /** The agent's /proc/PID/cmdline or environ, one entry per element. */
        List<String> agentProcFile(String name) throws IOException {
            return List.of(Files.readString(Path.of("/proc", String.valueOf(agentPid()), name)).split("\0"));
        }

        Long postmasterPid() {
            try {
                long pid = Long.parseLong(Files.readAllLines(dataDir().resolve("postmaster.pid")).get(0).strip());
                return ProcessHandle.of(pid).isPresent() ? pid : null;
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        /** SIGTERM: the agent's own orderly shutdown (a leader hands over), bounded to two minutes. */
        void stopAgent() {
            if (agent != null) {
                agent.destroy();
                try {
                    if (!agent.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) agent.destroyForcibly().waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                agent = null;
            }
        }

        /** Fills the node's own disk (isolated clusters: a 1 GB tmpfs) to the last byte. */
        void fillDisk() {
            Processes.run(List.of("sh", "-c", "dd if=/dev/zero of=" + dir.resolve("filler") + " bs=1M 2>/dev/null; true"));
        }

        void freeDisk() throws IOException {
            Files.deleteIfExists(dir.resolve("filler"));
        }

        void killPostmaster() {
            Long pid = postmasterPid();
            if (pid != null) Processes.signal(pid, "KILL");
        }

        Connection connect() throws SQLException {
            Properties p = superuser();
            p.setProperty("connectTimeout", "2");
            p.setProperty("socketTimeout", "5");
            return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + pgPort + "/postgres", p);
        }

        /** pg_is_in_recovery(), or null when Postgres does not answer. */
        Boolean inRecovery() {
            try (Connection c = connect(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                return rs.getBoolean(1);
            } catch (SQLException e) {
                return null;
            }
        }

        long queryLong(String sql) throws SQLException {
            try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        }

        List<String> queryStrings(String sql) throws SQLException {
            List<String> out = new ArrayList<>();
            try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                while (rs.next()) out.add(rs.getString(1));
            }
            return out;
        }

        void execute(String sql) throws SQLException {
            try (Connection c = connect(); Statement st = c.createStatement()) {
                st.execute(sql);
            }
        }

        /** Tries one insert; true only if the commit was acknowledged. */
        /** A value from this node's /metrics (the sample labelled with its name). */
        double metric(String metric) {
            for (String line : httpGet(api("/metrics")).split("\n")) {
                if (line.startsWith(metric + "{") && line.contains("name=\"" + name + "\"")) {
                    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            throw new AssertionError(metric + " not found in " + name + "'s /metrics");
        }

        boolean acceptsWrite() {
            try (Connection c = connect(); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS write_probe (at timestamptz)");
                st.execute("INSERT INTO write_probe VALUES (now())");
                return true;
            } catch (SQLException e) {
                return false;
            }
        }

        long timeline() throws SQLException {
            return queryLong("SELECT timeline_id FROM pg_control_checkpoint()");
        }

        /** A primary's timeline history (its .history file): each earlier timeline and the position where it ended. */
        Map<Long, Long> timelineHistory() throws SQLException {
            String file = queryStrings("SELECT CASE WHEN w.tl = '00000001' THEN '' ELSE pg_read_file('pg_wal/' || w.tl || '.history') END"
                    + " FROM (SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) AS tl) w").get(0);
            return LostWrites.parseHistory(file);
        }

        /** A primary's timeline now (the one it writes WAL on; pg_control_checkpoint() lags until the next checkpoint). */
        long writeTimeline() throws SQLException {
            return Long.parseLong(queryStrings("SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)").get(0), 16);
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
