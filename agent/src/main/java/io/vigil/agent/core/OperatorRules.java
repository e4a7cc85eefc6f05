package io.vigil.agent.core;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Member;
import java.util.List;

/**
 * What operators change about a plan: maintenance mode (pause), commands for this node (restart,
 * reinitialize, reload), and applying changed Postgres settings. Applied after the situation rules.
 */
final class OperatorRules {
    /** Steps that leave Postgres alone (plus Clone, which only fills an empty data directory). */
    private OperatorRules() {
    }

    static Plan apply(Observation o, Plan plan) {
        Plan p = o.settings().paused() && !requestPending(o) ? paused(plan) : plan;
        if (o.command() instanceof NodeCommand.Restart r) return restart(o, p, r);
        if (o.command() instanceof NodeCommand.Reinitialize) return reinitialize(o, p);
        if (o.command() instanceof NodeCommand.Reload || o.parametersStale()) return reload(o, p);
        return p;
    }

    /** A switchover or failover request is the operator acting: pause does not hold it back. */
    private static boolean requestPending(Observation o) {
        return o.cluster().flatMap(ClusterView::failover).isPresent();
    }

    static Plan paused(Plan p) {
        List<Action> kept = p.actions().stream().filter(a -> a.has(Action.Trait.WHILE_PAUSED)).toList();
        String reason = kept.size() == p.actions().size() ? "paused: " + p.reason()
                : "paused (maintenance mode), taking no automatic action; would otherwise act on: " + p.reason();
        return new Plan(kept, reason, p.refusal());
    }

    static boolean quiet(Plan p) {
        return p.actions().stream().allMatch(a -> a.has(Action.Trait.ROUTINE));
    }

    private static Plan restart(Observation o, Plan p, NodeCommand.Restart r) {
        LocalPostgres pg = o.local();
        if (!quiet(p)) return p.refusing("the node is busy: " + p.reason());
        if (!pg.running()) return p.refusing("Postgres is not running");
        if (!pg.accepting()) return p.refusing("Postgres is still starting");
        String role = pg.inRecovery() ? "replica" : "primary";
        if (r.role() != null && !r.role().equals(role)) {
            return p.refusing("restart conditions are not satisfied: this node is a " + role + ", not a " + r.role());
        }
        if (r.onlyIfPending() && !pg.pendingRestart()) {
            return p.refusing("restart conditions are not satisfied: no restart is pending");
        }
        ClusterView view = o.cluster().orElse(null);
        if (view == null) return p.refusing("etcd is unreachable; restart again once it is back");
        if (!pg.inRecovery()) {
            if (!view.isLeader(o.self())) return p.refusing("this primary does not hold the leader key");
            return p.plus("restart requested: restarting Postgres as primary, keeping the leader key",
                    new Action.RestartPostgres(true, null));
        }
        Member leader = view.leaderMember().orElse(null);
        if (leader == null) return p.refusing("the cluster has no leader right now; restart again once it has one");
        return p.plus("restart requested: restarting Postgres as a replica of " + leader.name(),
                new Action.RestartPostgres(false, leader));
    }

    private static Plan reinitialize(Observation o, Plan p) {
        ClusterView view = o.cluster().orElse(null);
        if (view == null) return p.refusing("etcd is unreachable, can not reinitialize");
        if (view.isLeader(o.self())) return p.refusing("I am the leader, can not reinitialize");
        Member leader = view.leaderMember().orElse(null);
        if (leader == null) return p.refusing("Cluster has no leader, can not reinitialize");
        if (!leader.isRunningPrimary()) {
            return p.refusing("leader " + leader.name() + " is not running as primary yet, can not reinitialize");
        }
        return Plan.of("reinitialize requested: cloning afresh from leader " + leader.name()
                + " (old data kept beside it)", new Action.Reclone(leader));
    }

    private static Plan reload(Observation o, Plan p) {
        boolean asked = o.command() instanceof NodeCommand.Reload;
        LocalPostgres pg = o.local();
        if (!pg.running() || !pg.accepting()) return p;
        if (!quiet(p)) return asked ? p.refusing("the node is busy: " + p.reason()) : p;
        ClusterView view = o.cluster().orElse(null);
        if (view == null) return asked ? p.refusing("etcd is unreachable; reload again once it is back") : p;
        if (!pg.inRecovery()) {
            if (!view.isLeader(o.self())) return asked ? p.refusing("this primary does not hold the leader key") : p;
            return p.plus(p.reason() + "; reloading Postgres settings", new Action.ReloadPostgres(null));
        }
        Member leader = view.leaderMember().orElse(null);
        if (leader == null || !leader.name().equals(pg.upstream())) {
            return asked ? p.refusing("this replica's upstream is changing; reload again in a moment") : p;
        }
        return p.plus(p.reason() + "; reloading Postgres settings", new Action.ReloadPostgres(leader));
    }
}
