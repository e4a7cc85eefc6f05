package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** postgresql.callbacks on a real cluster: each is called as Patroni calls it, "command ACTION ROLE SCOPE". */
class CallbacksIT extends ClusterTest {

    /** The lines the callback wrote on {@code n} (it runs in the agent's directory: one file per node). */
    private static List<String> calls(Cluster.Node n) throws Exception {
        Path log = n.dir.resolve("callbacks.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    private static void awaitCall(Cluster.Node n, String line) {
        Awaitility.await(n.name + " calls back: " + line).atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> calls(n).contains(line));
    }

    @Test
    void startRoleChangeRestartReloadAndStopCallTheOperatorsCommand() throws Exception {
        Path script = Files.createTempFile("vigil-callback-", ".sh");
        Files.writeString(script, "#!/bin/sh\nprintf '%s %s %s\\n' \"$1\" \"$2\" \"$3\" >> callbacks.log\n"
                + "if [ \"$1\" = on_reload ]; then echo 'reload hook failed'; exit 3; fi\n");
        script.toFile().setExecutable(true, false);
        script.toFile().setReadable(true, false);
        try {
            String all = "{on_start: " + script + ", on_stop: " + script + ", on_restart: " + script
                    + ", on_reload: " + script + ", on_role_change: " + script + "}";
            cluster = Cluster.startWithPostgresql(3, 10, 1, 3, "  callbacks: " + all);
            Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(10));
            List<Cluster.Node> replicas = cluster.nodes.stream().filter(n -> n != leader).toList();
            awaitCall(leader, "on_start primary it");   // after the bootstrap, as Patroni calls it
            for (Cluster.Node r : replicas) awaitCall(r, "on_start replica it");

            Cluster.Node candidate = replicas.get(0);
            String[] moved = Cluster.http("POST", candidate.api("/switchover"),
                    "{\"leader\":\"" + leader.name + "\",\"candidate\":\"" + candidate.name + "\"}",
                    "vigil:" + Cluster.REST_PASSWORD);
            assertThat(moved[0]).as(moved[1]).isEqualTo("200");
            assertThat(cluster.awaitPrimary(Duration.ofSeconds(30))).isEqualTo(candidate);
            awaitCall(candidate, "on_role_change primary it");
            awaitCall(leader, "on_role_change replica it");

            Cluster.Node other = replicas.get(1);
            String[] restarted = Cluster.http("POST", other.api("/restart"), "{}", "vigil:" + Cluster.REST_PASSWORD);
            assertThat(restarted[0]).as(restarted[1]).isEqualTo("200");
            awaitCall(other, "on_restart replica it");
            String[] reloaded = Cluster.http("POST", candidate.api("/reload"), null, "vigil:" + Cluster.REST_PASSWORD);
            assertThat(reloaded[0]).as(reloaded[1]).isIn("200", "202");
            awaitCall(candidate, "on_reload primary it");
            Awaitility.await("a failing callback's output and status in the agent log").atMost(Duration.ofSeconds(10))
                    .until(() -> {
                        String agentLog = Files.readString(candidate.dir.resolve("agent.log"));
                        return agentLog.contains("callback on_reload: reload hook failed")
                                && agentLog.contains("callback on_reload primary exited with status 3");
                    });

            other.stopAgent();
            awaitCall(other, "on_stop replica it");
        } finally {
            Files.deleteIfExists(script);
        }
    }
}
