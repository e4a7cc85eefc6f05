package io.vigil.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The REST API on HTTPS (restapi.certfile / keyfile / cafile): health checks, auth and api_url. */
class RestTlsIT extends ClusterTest {

    @Test
    void apiAnswersOverHttpsOnlyAndAdvertisesHttpsUrls() throws Exception {
        cluster = Cluster.startWithTls(2, 6, 1, 2);
        Cluster.Node leader = cluster.awaitPrimary(Duration.ofSeconds(10));
        Cluster.Node replica = cluster.nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();

        assertThat(leader.api("/primary")).startsWith("https://");
        assertThat(Cluster.httpStatus("GET", leader.api("/primary"))).isEqualTo(200);
        assertThat(Cluster.httpStatus("GET", replica.api("/replica"))).isEqualTo(200);
        assertThat(Cluster.httpStatus("OPTIONS", replica.api("/primary"))).isEqualTo(503);
        assertThat(Cluster.http("POST", replica.api("/restart"), "{}", null)[0]).isEqualTo("401");
        assertThat(Cluster.httpGet(leader.api("/cluster")))
                .contains("\"api_url\":\"https://127.0.0.1:" + replica.restPort + "/patroni\"");

        String plain = leader.api("/primary").replace("https://", "http://");
        assertThat(Cluster.httpStatus("GET", plain)).isNotEqualTo(200);
    }
}
