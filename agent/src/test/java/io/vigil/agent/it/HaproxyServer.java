package io.vigil.agent.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;

/**
 * A real HAProxy in front of a test cluster, configured like deploy/haproxy/haproxy.cfg (same
 * checks and timings), with free loopback ports.
 */
final class HaproxyServer implements AutoCloseable {
    final int primaryPort = EtcdServer.freePort();
    final int syncPort = EtcdServer.freePort();
    final int statsPort = EtcdServer.freePort();
    private final Process process;

    HaproxyServer(Cluster cluster) throws IOException {
        String shipped = Files.readString(Path.of(System.getProperty("vigil.repo", ".."), "deploy/haproxy/haproxy.cfg"));
        String defaults = shipped.substring(shipped.indexOf("defaults"), shipped.indexOf("listen stats"));
        StringBuilder cfg = new StringBuilder(defaults);
        cfg.append("listen stats\n    mode http\n    bind 127.0.0.1:").append(statsPort).append("\n    stats enable\n    stats uri /\n\n");
        listen(cfg, cluster, "primary", primaryPort, "/primary");
        listen(cfg, cluster, "sync", syncPort, "/sync");
        Path file = cluster.root.resolve("haproxy.cfg");
        Files.writeString(file, cfg.toString());
        process = new ProcessBuilder(List.of("haproxy", "-db", "-f", file.toString())).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(cluster.root.resolve("haproxy.log").toFile())).start();
    }

    /** A TCP listener over every node, checked like the shipped config's: only the status code of {@code check}. */
    private static void listen(StringBuilder cfg, Cluster cluster, String name, int port, String check) {
        cfg.append("listen ").append(name).append("\n    bind 127.0.0.1:").append(port).append('\n')
                .append("    option httpchk OPTIONS ").append(check).append("\n    http-check expect status 200\n")
                .append("    default-server inter 1s fastinter 100ms downinter 100ms fall 2 rise 1 on-marked-down shutdown-sessions\n");
        for (Cluster.Node n : cluster.nodes) {
            cfg.append("    server ").append(n.name).append(" 127.0.0.1:").append(n.pgPort)
                    .append(" check port ").append(n.restPort).append('\n');
        }
    }

    /** Waits until exactly {@code node} is UP in the primary backend. */
    void awaitRoutesTo(Cluster.Node node) {
        awaitRoutesTo("primary", node);
    }

    /**
     * Waits until exactly {@code node} takes traffic in {@code backend} ("primary" or "sync"). A server
     * going down ("UP 1/2") still takes traffic, so it counts as up.
     */
    void awaitRoutesTo(String backend, Cluster.Node node) {
        Awaitility.await("HAProxy's " + backend + " routes to " + node.name + " alone").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100)).until(() -> {
                    List<String> up = Cluster.httpGet("http://127.0.0.1:" + statsPort + "/;csv").lines()
                            .filter(l -> l.startsWith(backend + ",node") && l.split(",")[17].startsWith("UP"))
                            .map(l -> l.split(",")[1]).toList();
                    return up.equals(List.of(node.name));
                });
    }

    String url() {
        return url(primaryPort);
    }

    /** Through the sync listener: only the synchronous standby. */
    String syncUrl() {
        return url(syncPort);
    }

    private static String url(int port) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?connectTimeout=1&socketTimeout=3&loginTimeout=2";
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
