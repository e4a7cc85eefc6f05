package io.vigil.agent.rest;

import io.vigil.cluster.FailoverRequest;
import java.util.concurrent.CompletableFuture;

/** What the REST API may ask of the HA loop. The loop does the etcd writes. */
public interface LoopControl {
    /** Completes with false when another request is already pending. */
    CompletableFuture<Boolean> requestFailover(FailoverRequest request);

    /** Deletes the pending request. */
    CompletableFuture<Boolean> cancelFailover();
}
