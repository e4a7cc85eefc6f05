package io.vigil.agent;

import io.vigil.agent.core.CommandOutcome;
import io.vigil.agent.ha.HaLoop;
import io.vigil.agent.core.NodeCommand;
import io.vigil.agent.rest.LoopControl;
import io.vigil.cluster.FailoverRequest;
import java.time.OffsetDateTime;
import java.util.concurrent.CompletableFuture;

/** {@link LoopControl} over a loop that may still be starting (the REST API starts first). */
final class LoopHandle implements LoopControl {
    private final CompletableFuture<HaLoop> loop;

    LoopHandle(CompletableFuture<HaLoop> loop) {
        this.loop = loop;
    }

    private HaLoop started() {
        HaLoop l = loop.isDone() && !loop.isCompletedExceptionally() ? loop.join() : null;
        if (l == null) throw new NotStarted();
        return l;
    }

    @Override
    public CompletableFuture<Boolean> requestFailover(FailoverRequest request) {
        return started().requestFailover(request);
    }

    @Override
    public CompletableFuture<Boolean> cancelFailover() {
        return started().cancelFailover();
    }

    @Override
    public CompletableFuture<CommandOutcome> submit(NodeCommand command) {
        return started().submit(command);
    }

    @Override
    public boolean scheduleRestart(NodeCommand.Restart restart, OffsetDateTime at) {
        return started().scheduleRestart(restart, at);
    }

    @Override
    public boolean cancelScheduledRestart() {
        return started().cancelScheduledRestart();
    }

    @Override
    public <T> CompletableFuture<T> withFreshView(java.util.function.Function<io.vigil.cluster.ClusterView, T> f) {
        return started().withFreshView(f);
    }

    @Override
    public String acceptFailsafe(String leader) {
        return started().acceptFailsafe(leader);
    }

    @Override
    public CompletableFuture<io.vigil.config.ConfigEdit.Applied> editConfig(String body, boolean replace, long ifRevision) {
        return started().editConfig(body, replace, ifRevision);
    }
}
