package io.vigil.agent.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;

/** A three-member etcd cluster, each member in its own network namespace (host etcd1..etcd3). */
final class EtcdCluster implements Etcd {
    static final List<String> HOSTS = List.of("etcd1", "etcd2", "etcd3");
    private final Network net;
    private final Path dir;
    private final Process[] members = new Process[HOSTS.size()];

    EtcdCluster(Network net, Path dir) {
        this.net = net;
        this.dir = dir;
        HOSTS.forEach(net::add);
    }

    @Override
    public List<String> endpoints() {
        return HOSTS.stream().map(h -> net.address(h) + ":2379").toList();
    }

    @Override
    public void start() {
        for (int i = 0; i < HOSTS.size(); i++) startMember(i);
        Awaitility.await("etcd quorum").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> Cluster.httpGet("http://" + endpoint() + "/health").contains("\"true\""));
    }

    void startMember(int i) {
        if (members[i] != null) return;
        String h = HOSTS.get(i);
        String ip = net.address(h);
        String cluster = HOSTS.stream().map(x -> x + "=http://" + net.address(x) + ":2380").collect(Collectors.joining(","));
        try {
            Files.createDirectories(dir);
            List<String> cmd = new ArrayList<>(List.of("etcd", "--name", h, "--data-dir", dir.resolve(h).toString(),
                    "--listen-client-urls", "http://" + ip + ":2379", "--advertise-client-urls", "http://" + ip + ":2379",
                    "--listen-peer-urls", "http://" + ip + ":2380", "--initial-advertise-peer-urls", "http://" + ip + ":2380",
                    "--initial-cluster", cluster, "--initial-cluster-state", "new", "--initial-cluster-token", "vigil-chaos",
                    "--heartbeat-interval", "100", "--election-timeout", "1000", "--log-level", "warn"));
            members[i] = new ProcessBuilder(net.in(h, cmd)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(h + ".log").toFile())).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start etcd member " + h, e);
        }
    }

    void stopMember(int i) {
        if (members[i] == null) return;
        members[i].destroyForcibly();
        try {
            members[i].waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        members[i] = null;
    }

    @Override
    public void stop() {
        for (int i = 0; i < HOSTS.size(); i++) stopMember(i);
    }

    @Override
    public void close() {
        stop();
    }
}
