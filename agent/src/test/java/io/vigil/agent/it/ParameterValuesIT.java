package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcd.jetcd.ByteSequence;
import io.vigil.agent.it.VigilCommand.Run;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A Postgres parameter value Postgres would refuse never leaves a node unable to start: the REST API
 * and the CLI refuse it with the server's own reason, and a node handed one through etcd keeps its
 * last good value, says so, and restarts.
 */
class ParameterValuesIT extends ClusterTest {
    private static final String AUTH = "vigil:" + Cluster.REST_PASSWORD;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Run vigil(String... args) throws Exception {
        return VigilCommand.run(cluster, args);
    }

    @Test
    void aValuePostgresWouldRefuseIsRefusedByTheApiAndNeverWrittenByANode() throws Exception {
        cluster = Cluster.start(3, 6, 1, 2);
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(10));
        Cluster.Node replica = cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        String configBefore = Cluster.httpGet(leader.api("/config"));

        String[] patch = Cluster.http("PATCH", replica.api("/config"),
                "{\"postgresql\": {\"parameters\": {\"max_worker_processes\": \"lots\", \"work_mem\": \"5MB\"}}}", AUTH);
        assertThat(patch[0]).as(patch[1]).isEqualTo("400");
        assertThat(patch[1]).contains("postgresql.parameters.max_worker_processes = 'lots' is refused")
                .contains("invalid value for parameter \"max_worker_processes\"")
                .contains("takes an integer from 0 to 262143").contains("nothing was changed")
                .doesNotContain("work_mem").doesNotContain("Exception");
        String[] put = Cluster.http("PUT", leader.api("/config"),
                "{\"ttl\": 6, \"loop_wait\": 1, \"retry_timeout\": 2, \"postgresql\": {\"parameters\": {\"wal_level\": \"lots\"}}}",
                AUTH);
        assertThat(put[0]).as(put[1]).isEqualTo("400");
        assertThat(put[1]).contains("wal_level").contains("Available values: minimal, replica, logical");
        Run cli = vigil("edit-config", "--set", "postgresql.parameters.shared_buffers=banana", "--force");
        assertThat(cli.exit()).as(cli.out()).isEqualTo(1);
        assertThat(cli.out() + cli.err()).contains("shared_buffers = 'banana' is refused")
                .contains("with a unit: B, kB, MB, GB, TB");
        assertThat(Cluster.httpGet(leader.api("/config"))).isEqualTo(configBefore);

        // A value that reaches etcd anyway (an older agent, a hand edit) is not written by any node
        String sharedBuffers = leader.queryStrings("SHOW shared_buffers").get(0);
        ObjectNode stored = (ObjectNode) JSON.readTree(configBefore);
        stored.with("postgresql").with("parameters").put("shared_buffers", "banana").put("work_mem", "6MB");
        try (io.etcd.jetcd.Client etcd = io.etcd.jetcd.Client.builder().endpoints("http://" + cluster.etcd.endpoint()).build()) {
            etcd.getKVClient().put(ByteSequence.from("/vigil/it/config", StandardCharsets.UTF_8),
                    ByteSequence.from(JSON.writeValueAsString(stored), StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
        }
        for (Cluster.Node n : cluster.nodes) {
            Awaitility.await("work_mem 6MB on " + n.name).atMost(Duration.ofSeconds(15)).ignoreExceptions()
                    .until(() -> n.queryStrings("SHOW work_mem").get(0), "6MB"::equals);
            assertThat(n.queryStrings("SHOW shared_buffers")).containsExactly(sharedBuffers);
            assertThat(n.metric("vigil_parameters_refused")).isEqualTo(1.0);
            assertThat(Cluster.httpGet(n.api("/patroni"))).contains("\"refused_parameters\":{\"shared_buffers\":\"'banana'"
                    + " refused, keeping the server default: invalid value for parameter");
        }
        String[] restarted = Cluster.http("POST", replica.api("/restart"), "{}", AUTH);
        assertThat(restarted[0]).as(restarted[1]).isEqualTo("200");
        assertThat(replica.inRecovery()).isTrue();
        assertThat(replica.queryStrings("SHOW shared_buffers")).containsExactly(sharedBuffers);
        Run list = vigil("list");
        assertThat(list.out()).contains(" " + replica.name + " keeps its own value of shared_buffers: 'banana' refused");

        // fixed in the config: the refusal goes away
        assertThat(Cluster.http("PATCH", leader.api("/config"),
                "{\"postgresql\": {\"parameters\": {\"shared_buffers\": null}}}", AUTH)[0]).isEqualTo("200");
        for (Cluster.Node n : cluster.nodes) {
            Awaitility.await("no refusal on " + n.name).atMost(Duration.ofSeconds(15))
                    .until(() -> n.metric("vigil_parameters_refused") == 0.0);
        }
    }
}
