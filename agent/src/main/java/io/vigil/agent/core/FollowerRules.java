package io.vigil.agent.core;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.LeaderKey;
import io.vigil.cluster.Lsn;
import io.vigil.cluster.Member;
import io.vigil.cluster.TimelineSwitch;

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
        Plan fast = FastTakeover.plan(o, view);
        if (fast != null) return fast;
        Member leader = view.members().get(key.name());
        if (leader == null || leader.connUrl() == null) {
            return Plan.waiting("leader " + key.name() + " has not published its address yet");
        }
        long leaderTimeline = leader.timeline() == null ? 0 : leader.timeline();
        if (pg.isRunningReplica()) {
            return runningReplica(o, view, pg, leader, leaderTimeline);
        }
        if (pg.running()) {
            return Plan.waiting("Postgres is starting");
        }
        if (o.unstartedClone()) {
            return Plan.of("the data directory is a fresh clone of " + leader.name() + " that has not run yet: starting"
                    + " it as its replica (a failed start is retried as it is, not cloned again)",
                    new Action.StartReplica(leader));
        }
        boolean timelineDiffers = leaderTimeline != 0 && pg.timeline() != 0 && pg.timeline() != leaderTimeline;
        boolean wasPrimary = !pg.inRecovery();
        if ((timelineDiffers || wasPrimary || o.rewindFailed()) && leader.role() != io.vigil.cluster.MemberRole.PRIMARY) {
            return Plan.waiting("waiting for leader " + leader.name() + " to finish promoting before repairing"
                    + " this node against it");
        }
        if (o.rewindFailed()) {
            return Plan.of("rejoining " + leader.name() + " failed (pg_rewind, or Postgres did not start as its"
                    + " replica): cloning afresh (old data kept beside it)", new Action.Reclone(leader));
        }
        if (!timelineDiffers && !wasPrimary) {
            return Plan.of("starting as a replica of " + leader.name(), new Action.StartReplica(leader));
        }
        Long switchAt = switchPoint(view, pg.timeline());
        if (timelineDiffers && pg.timeline() < leaderTimeline && switchAt != null && pg.writeLsn() != null
                && pg.writeLsn().value() <= switchAt) {
            // Starting as a standby is safe and, when nothing diverged, much faster than pg_rewind after a crash;
            // a standby that replays past the switch point is rewound at once (runningReplica).
            return Plan.of("timeline " + pg.timeline() + " ended at " + new Lsn(switchAt) + " and our data is known up to "
                    + pg.writeLsn() + ": starting as a replica of " + leader.name() + " (pg_rewind follows if WAL past"
                    + " the switch turns up)", new Action.StartReplica(leader));
        }
        String why = timelineDiffers
                ? "timeline " + pg.timeline() + " differs from leader " + leader.name() + "'s " + leaderTimeline
                : "this node was a primary (its WAL may have diverged from leader " + leader.name() + "'s)";
        if (!o.settings().postgresql().usePgRewind()) {
            return Plan.of(why + " and use_pg_rewind is off: cloning afresh (old data kept beside it)",
                    new Action.Reclone(leader));
        }
        return Plan.of(why + ": pg_rewind (a no-op when nothing diverged), then start as its replica",
                new Action.Rewind(leader));
    }

    private static Plan runningReplica(Observation o, ClusterView view, LocalPostgres pg, Member leader,
                                       long leaderTimeline) {
        if (!leader.name().equals(pg.upstream())) {
            return Plan.of("new leader " + leader.name() + ": repointing replication to it", new Action.Follow(leader));
        }
        if (pg.streaming()) {
            java.util.List<Action> slots = SlotRules.replica(o, view);
            if (!slots.isEmpty()) {
                // a former primary's slots would pin WAL on this standby until its disk is full
                return Plan.of("replica: streaming from " + leader.name() + "; keeping its replication slots"
                        + " (permanent ones in place and advanced, none left from when this node was primary)", slots);
            }
            return Plan.waiting("replica: streaming from " + leader.name());
        }
        Long switchAt = switchPoint(view, pg.timeline());
        if (switchAt != null && pg.timeline() < leaderTimeline && pg.walPosition().value() > switchAt
                && leader.role() == io.vigil.cluster.MemberRole.PRIMARY) {
            return Plan.of("replaying timeline " + pg.timeline() + " at " + pg.walPosition() + ", past its end at "
                    + new Lsn(switchAt) + " in the cluster's history: this WAL diverged from leader " + leader.name()
                    + "'s; pg_rewind", rewindOrReclone(o, leader));
        }
        long boundNanos = (2L * o.settings().loopWait() + o.settings().retryTimeout()) * 1_000_000_000L;
        // a nostream replica never streams; one whose WAL diverged is caught above, past the switch point
        boolean stuck = !o.tags().noStream() && o.notStreamingSinceNanos() != null
                && o.nowNanos() - o.notStreamingSinceNanos() >= boundNanos;
        if (stuck && leaderTimeline != 0 && pg.timeline() != leaderTimeline && leader.role() == io.vigil.cluster.MemberRole.PRIMARY) {
            return Plan.of("not streaming from " + leader.name() + " for " + boundNanos / 1_000_000_000L
                    + " s and still on timeline " + pg.timeline() + " (leader: " + leaderTimeline
                    + "): its WAL diverged; pg_rewind", rewindOrReclone(o, leader));
        }
        if (o.tags().noStream()) {
            return Plan.waiting("replica: following " + leader.name() + " from the WAL archive (tagged nostream)");
        }
        long repairNanos = repairBoundSeconds(o) * 1_000_000_000L;
        if (o.notStreamingSinceNanos() != null && o.nowNanos() - o.notStreamingSinceNanos() >= repairNanos
                && leader.role() == io.vigil.cluster.MemberRole.PRIMARY) {
            return Plan.of("not streaming from " + leader.name() + " for " + repairNanos / 1_000_000_000L
                    + " s on its timeline, replay not moving (the WAL this node needs may be gone from the leader):"
                    + " cloning afresh (old data kept beside it)", new Action.Reclone(leader));
        }
        return Plan.waiting("replica: following " + leader.name() + ", WAL receiver not streaming yet");
    }

    /**
     * How long a replica may fail to stream from a running leader on its timeline, replaying nothing,
     * before it is cloned afresh: three times the other-timeline bound (2 × loop_wait + retry_timeout),
     * at least ttl.
     */
    static long repairBoundSeconds(Observation o) {
        return Math.max(3L * (2L * o.settings().loopWait() + o.settings().retryTimeout()), o.settings().ttl());
    }

    /** Where {@code timeline} ended according to the cluster's history in etcd, or null when it has no such entry. */
    private static Long switchPoint(ClusterView view, long timeline) {
        return view.history().stream().filter(h -> h.timeline() == timeline).map(TimelineSwitch::lsn)
                .reduce((a, b) -> b).orElse(null);
    }

    private static Action rewindOrReclone(Observation o, Member leader) {
        return o.rewindFailed() || !o.settings().postgresql().usePgRewind()
                ? new Action.Reclone(leader) : new Action.Rewind(leader);
    }
}
