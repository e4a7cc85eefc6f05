package io.vigil.agent.ha;

import io.vigil.agent.pg.LocalPostgres;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.LeaderKey;
import io.vigil.cluster.Member;

/** Decisions for a node while another node holds the leader key. */
final class FollowerRules {
    private FollowerRules() {
    }

    static Plan follow(Observation o, ClusterView view) {
        LocalPostgres pg = o.local();
        LeaderKey key = view.leader().orElseThrow();
        if (pg.isRunningPrimary()) {
            return Plan.of(key.name() + " holds the leader key: this node must not stay writable, demoting",
                    new Action.Demote(true));
        }
        Member leader = view.members().get(key.name());
        if (leader == null || leader.connUrl() == null) {
            return Plan.waiting("leader " + key.name() + " has not published its address yet");
        }
        if (pg.isRunningReplica()) {
            if (!leader.name().equals(pg.upstream())) {
                return Plan.of("new leader " + leader.name() + ": repointing replication to it",
                        new Action.Follow(leader));
            }
            return Plan.waiting(pg.streaming() ? "replica: streaming from " + leader.name()
                    : "replica: following " + leader.name() + ", WAL receiver not streaming yet");
        }
        if (pg.running()) {
            return Plan.waiting("Postgres is starting");
        }
        long leaderTimeline = leader.timeline() == null ? 0 : leader.timeline();
        boolean timelineDiffers = leaderTimeline != 0 && pg.timeline() != 0 && pg.timeline() != leaderTimeline;
        if (timelineDiffers && (o.rewindFailed() || !o.settings().postgresql().usePgRewind())) {
            return Plan.of("timeline " + pg.timeline() + " differs from leader " + leader.name() + "'s " + leaderTimeline
                    + (o.rewindFailed() ? " and pg_rewind failed" : " and use_pg_rewind is off")
                    + ": cloning afresh (old data kept beside it)", new Action.Reclone(leader));
        }
        if (timelineDiffers) {
            return Plan.of("timeline " + pg.timeline() + " differs from leader " + leader.name() + "'s " + leaderTimeline
                    + ": pg_rewind, then start as its replica", new Action.Rewind(leader));
        }
        return Plan.of("starting as a replica of " + leader.name(), new Action.StartReplica(leader));
    }
}
