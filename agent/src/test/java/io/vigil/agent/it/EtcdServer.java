package io.vigil.agent.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;

/** A real single-member etcd (Debian's etcd-server) on free loopback ports. */
final class EtcdServer implements Etcd {
    private final Path dir;
    final int clientPort;
    private final int peerPort;
    private Process process;

    EtcdServer(Path dir) {
        this.dir = dir;
        this.clientPort = freePort();
        this.peerPort = freePort();
    }

    @Override
    public List<String> endpoints() {
        return List.of("127.0.0.1:" + clientPort);
    }

    @Override
    public void start() {
        try {
            Files.createDirectories(dir);
            String client = "http://127.0.0.1:" + clientPort;
            String peer = "http://127.0.0.1:" + peerPort;
            process = new ProcessBuilder(List.of("etcd", "--name", "it", "--data-dir", dir.resolve("data").toString(),
                    "--listen-client-urls", client, "--advertise-client-urls", client,
                    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                    "--initial-cluster", "it=" + peer, "--log-level", "warn"))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("etcd.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start etcd (is etcd-server installed? .ci/run installs it)", e);
        }
        Awaitility.await("etcd answering").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> Cluster.httpGet("http://127.0.0.1:" + clientPort + "/health").contains("true"));
    }

    @Override
    public void stop() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** Ports handed out in this JVM: a port handed out may still be free because nothing has bound it yet. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A port free now and not handed out before in this JVM, below the kernel's ephemeral range
     * (32768 and up): a port from that range can be taken by some outgoing connection before the
     * server binds it.
     */
    static int freePort() {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = java.util.concurrent.ThreadLocalRandom.current().nextInt(20000, 32000);
            if (!HANDED_OUT.add(port)) continue;
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (IOException e) {
                // taken; try another
            }
        }
        throw new IllegalStateException("no free port in 20000..31999 on 127.0.0.1");
    }

    static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
