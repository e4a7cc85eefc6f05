package io.vigil.agent.rest;

import io.vigil.agent.core.CommandOutcome;
import io.vigil.agent.core.NodeCommand;
import io.vigil.cluster.FailoverRequest;
import java.time.OffsetDateTime;
import java.util.concurrent.CompletableFuture;

/** What the REST API may ask of the HA loop. The loop does the etcd writes and the Postgres work. */
public interface LoopControl {
    /** Completes with false when another request is already pending. */
    CompletableFuture<Boolean> requestFailover(FailoverRequest request);

    /** Deletes the pending request. */
    CompletableFuture<Boolean> cancelFailover();

    /** Runs {@code f} on a fresh etcd read (in the loop thread). */
    <T> CompletableFuture<T> withFreshView(java.util.function.Function<io.vigil.cluster.ClusterView, T> f);

    /** Runs an operator command on this node at the loop's next cycle. */
    CompletableFuture<CommandOutcome> submit(NodeCommand command);

    /** False when a restart is already scheduled. */
    boolean scheduleRestart(NodeCommand.Restart restart, OffsetDateTime at);

    /** False when none was scheduled. */
    boolean cancelScheduledRestart();

    /** PATCH (merge) or PUT (replace) of the cluster config; see HaLoop#editConfig. */
    CompletableFuture<io.vigil.config.ConfigEdit.Applied> editConfig(String body, boolean replace, long ifRevision);

    /** POST /failsafe from {@code leader}: null when accepted, else why not. */
    String acceptFailsafe(String leader);

    /** Thrown while the loop is not running yet (answered with 503). */
    final class NotStarted extends RuntimeException {
        public NotStarted() {
            super("the agent is still starting; try again in a moment");
        }
    }
}
