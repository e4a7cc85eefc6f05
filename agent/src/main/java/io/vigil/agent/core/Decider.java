package io.vigil.agent.core;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Member;
import java.time.Duration;

/**
 * The HA decision: a pure function of one {@link Observation} and the {@link Memory} the last cycle
 * left, {@code next(observation) → (plan, memory')}. No I/O, no clock, no exceptions for control
 * flow. Split by situation: bootstrap and clone here, then {@link LeaderRules}, {@link FollowerRules}
 * and {@link ElectionRules}.
 */
public final class Decider {
    private Decider() {
    }

    /** One cycle's decision: the plan, and the memory the next cycle starts from. */
    public record Decision(Plan plan, Memory memory) {
    }

    /** The memory moves on with what {@code o} shows, then the rules decide on it. */
    public static Decision next(Observation o) {
        Memory m = o.memory().after(o);
        Observation now = o.withMemory(m);
        return new Decision(OperatorRules.apply(now, situation(now)), m);
    }

    /** The plan of {@link #next}. */
    public static Plan decide(Observation o) {
        return next(o).plan();
    }

    private static Plan situation(Observation o) {
        if (o.cluster().isEmpty()) {
            return LeaderRules.etcdUnreachable(o);
        }
        ClusterView view = o.cluster().get();
        LocalPostgres pg = o.local();
        if (view.initialize().isEmpty()) {
            if (!o.tags().mayPromote()) {
                return Plan.waiting("the cluster is not initialised; this node is tagged nofailover (or"
                        + " failover_priority 0), so it waits for another node to bootstrap it");
            }
            if (o.watchdogProblem() != null) {
                return Plan.waiting("the cluster is not initialised; watchdog.mode is required but "
                        + o.watchdogProblem() + ", so this node waits for another node to bootstrap it");
            }
            return uninitialized(o);
        }
        String systemId = view.initialize().get();
        if (systemId.isEmpty()) {
            return Plan.waiting("the cluster is being bootstrapped by "
                    + view.leader().map(l -> l.name()).orElse("another node"));
        }
        if (pg.hasData() && pg.systemId() != null && !pg.systemId().equals(systemId)) {
            return Plan.waiting("the data directory belongs to another cluster (system identifier " + pg.systemId()
                    + ", cluster " + systemId + "); move it aside to let this node clone afresh");
        }
        if (!pg.hasData()) {
            return clone(o, view);
        }
        if (view.isLeader(o.self())) {
            return LeaderRules.holdingKey(o, view);
        }
        if (view.leader().isPresent()) {
            return FollowerRules.follow(o, view);
        }
        return ElectionRules.noLeader(o, view);
    }

    private static Plan uninitialized(Observation o) {
        LocalPostgres pg = o.local();
        if (!pg.hasData()) {
            FailuresInARow failed = o.bootstrapFailure();
            Duration loopWait = o.settings().loopWaitDuration();
            if (failed != null && failed.pausing(o.nowNanos(), loopWait)) {
                return Plan.waiting("the cluster is not initialised: " + failed.failures() + " bootstrap(s) on this node"
                        + " failed in a row; the next after a pause of " + failed.pause(loopWait).toSeconds()
                        + " s (see the error above), unless another node bootstraps the cluster first");
            }
            return Plan.of("the cluster is not initialised: racing to bootstrap it",
                    new Action.ClaimInitialize(), new Action.InitializeDatabase());
        }
        if (pg.systemId() == null) {
            return Plan.waiting("etcd has no record of this cluster and the local data directory cannot be read;"
                    + " check it with pg_controldata");
        }
        return Plan.of("etcd has no record of this cluster: adopting the local data (system identifier "
                + pg.systemId() + ")", new Action.ClaimInitialize(), new Action.AdoptExistingData(pg.systemId()));
    }

    private static Plan clone(Observation o, ClusterView view) {
        Member leader = view.leaderMember().orElse(null);
        if (leader == null || !leader.isRunningPrimary()) {
            return Plan.waiting("empty data directory: waiting for a running leader to clone from");
        }
        FailuresInARow failed = o.cloneFailure();
        Duration loopWait = o.settings().loopWaitDuration();
        if (failed != null && failed.pausing(o.nowNanos(), loopWait)) {
            return Plan.waiting("empty data directory: " + failed.failures() + " clone(s) from leader " + leader.name()
                    + " failed in a row; the next after a pause of " + failed.pause(loopWait).toSeconds()
                    + " s (see the error above)");
        }
        return Plan.of("empty data directory: cloning from leader " + leader.name(), new Action.Clone(leader));
    }
}
