package io.vigil.agent.it;

import java.util.List;

/** The etcd a test cluster uses: one member on loopback, or three in their own namespaces. */
interface Etcd extends AutoCloseable {
    List<String> endpoints();

    /** The first endpoint (host:port). */
    default String endpoint() {
        return endpoints().get(0);
    }

    void start();

    /** Stops every member (kill -9). */
    void stop();

    @Override
    void close();
}
