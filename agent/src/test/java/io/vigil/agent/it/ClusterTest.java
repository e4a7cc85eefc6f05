package io.vigil.agent.it;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Base for tests on a real cluster: closes it after each test, printing agent logs when a test failed. */
abstract class ClusterTest {
    protected Cluster cluster;

    @RegisterExtension
    final AfterTestExecutionCallback dumpOnFailure = context -> {
        if (context.getExecutionException().isPresent() && cluster != null) cluster.dumpLogs();
    };

    @AfterEach
    void closeCluster() {
        if (cluster != null) cluster.close();
    }
}
