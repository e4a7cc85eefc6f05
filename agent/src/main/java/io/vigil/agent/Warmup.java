package io.vigil.agent;

import io.vigil.agent.ha.HaLoop;
import io.vigil.agent.peers.PeerClient;
import io.vigil.agent.pg.PostgresControl;
import io.vigil.agent.rest.RestApi;
import io.vigil.config.AgentConfig;
import io.vigil.config.ConfigLoader;
import io.vigil.store.EtcdStore;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * Loads the classes an agent needs at start (config, etcd client, REST server, JDBC) and exits.
 * Run once with {@code -XX:ArchiveClassesAtExit=vigil.jsa}; agents started with
 * {@code -XX:SharedArchiveFile=vigil.jsa} then skip most class loading (about 1.5 s faster here).
 */
@Command(name = "warmup", hidden = true, description = "Load the agent's classes and exit (for a CDS archive).")
final class Warmup implements Callable<Integer> {

    @Override
    public Integer call() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        String yaml = """
                scope: warmup
                name: warmup
                etcd: {hosts: [127.0.0.1:%d]}
                restapi: {listen: 127.0.0.1:0}
                postgresql:
                  data_dir: /nonexistent/vigil-warmup/data
                  bin_dir: /nonexistent
                  listen: 127.0.0.1:1
                  authentication:
                    superuser: {username: postgres, password: x}
                    replication: {username: replicator, password: x}
                bootstrap: {dcs: {ttl: 30, loop_wait: 10, retry_timeout: 10}}
                """.formatted(closedPort).replace("127.0.0.1:0", "127.0.0.1:" + closedPort);
        AgentConfig cfg = new ConfigLoader(Map.of(), false).parse(yaml, "warmup");
        PeerClient peers = new PeerClient(Duration.ofMillis(100), null, false);
        try (EtcdStore store = EtcdStore.connect(cfg, Duration.ofMillis(300))) {
            try {
                store.read();
            } catch (RuntimeException expected) {
                // nothing listens there; the classes are loaded all the same
            }
            HaLoop loop = new HaLoop(cfg, store, new PostgresControl(cfg), peers,
                    System::nanoTime, io.vigil.agent.ha.LoopEvents.NONE, () -> cfg, () -> { });
            io.vigil.agent.metrics.Metrics metrics = new io.vigil.agent.metrics.Metrics("w", "w", loop::status,
                    System::nanoTime);
            RestApi api = new RestApi(cfg, loop::status, System::nanoTime,
                    new LoopHandle(java.util.concurrent.CompletableFuture.completedFuture(loop)), metrics::scrape);
            metrics.scrape();
            api.start();
            // the API answers its peers (the REST server's request path, and the peer client's)
            peers.fetch(java.util.List.of(new io.vigil.cluster.Member("w", "postgres://127.0.0.1:1/postgres",
                    "http://127.0.0.1:" + closedPort + "/patroni", io.vigil.cluster.MemberState.RUNNING, io.vigil.cluster.MemberRole.REPLICA, null, null, null, null, null,
                    null, null, null, null)));
            api.close();
        }
        Class.forName("org.postgresql.Driver");
        return 0;
    }
}
