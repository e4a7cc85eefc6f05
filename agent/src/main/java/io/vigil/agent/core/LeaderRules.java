package io.vigil.agent.core;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.FailoverRequest;
import io.vigil.cluster.Member;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Decisions for a node whose name is in the leader key, and for any primary when etcd is gone. */
final class LeaderRules {
    private LeaderRules() {
    }

    static Plan holdingKey(Observation o, ClusterView view) {
        LocalPostgres pg = o.local();
        Optional<FailoverRequest> request = view.failover();
        if (request.isPresent() && request.get().leader() != null && !request.get().leader().equals(o.self())) {
            return Plan.of("a switchover request names " + request.get().leader() + " as leader, but this node leads:"
                    + " dropping the stale request", new Action.RenewLeader(), new Action.ClearFailover());
        }
        Optional<FailoverRequest> handOver = request
                .filter(f -> !f.member().equals(o.self()) && isDue(f, o.nowEpochMillis()));
        if (handOver.isPresent()) {
            Member candidate = view.members().get(handOver.get().member());
            if (candidate == null) {
                return Plan.of("switchover candidate " + handOver.get().member() + " is not a member: dropping the request",
                        new Action.ClearFailover());
            }
            String notSync = view.sync().promotionBlocker(o.settings(), candidate.name());
            if (notSync != null) {
                return Plan.of("switchover candidate " + candidate.name() + " may not promote: " + notSync
                        + "; dropping the request", new Action.RenewLeader(), new Action.ClearFailover());
            }
            if (pg.isRunningPrimary()) {
                return Plan.of("switchover to " + candidate.name() + " requested: handing over",
                        new Action.HandOver(candidate));
            }
            if (!pg.running()) {
                return Plan.of("failover to " + candidate.name() + " requested while Postgres is down: releasing the key",
                        new Action.ReleaseLeader());
            }
        }
        if (o.watchdogProblem() != null) {
            String why = "watchdog.mode is required but " + o.watchdogProblem();
            return pg.isRunningPrimary()
                    ? Plan.of(why + ": demoting and releasing the leader key", new Action.Demote(false),
                            new Action.ReleaseLeader())
                    : Plan.of(why + ": releasing the leader key", new Action.ReleaseLeader());
        }
        if (pg.isRunningPrimary()) {
            List<Action> actions = new ArrayList<>(List.of(new Action.RenewLeader()));
            actions.addAll(SlotRules.leader(o, view));
            return SyncRules.step(o, view, Plan.of("leader: holding the key, Postgres is primary", actions));
        }
        long startTimeoutNanos = o.settings().primaryStartTimeout() * 1_000_000_000L;
        if (o.downSinceNanos() != null && o.nowNanos() - o.downSinceNanos() >= startTimeoutNanos) {
            return Plan.of("Postgres did not come back as primary within primary_start_timeout ("
                    + o.settings().primaryStartTimeout() + " s): releasing the leader key so a replica takes over",
                    new Action.ReleaseLeader());
        }
        if (pg.isRunningReplica()) {
            return Plan.of("holding the leader key while Postgres is a standby: promoting",
                    SyncRules.promotion(o, view, new Action.RenewLeader()));
        }
        if (pg.running()) {
            return Plan.of("leader: waiting for Postgres to accept connections", new Action.RenewLeader());
        }
        if (pg.inRecovery()) {
            return Plan.of("holding the leader key with a stopped standby: starting it to promote",
                    new Action.RenewLeader(), new Action.StartReplica(null));
        }
        return Plan.of("Postgres is down while this node holds the leader key: restarting it in place as primary"
                + " (nobody else can have promoted)", new Action.RenewLeader(), new Action.StartPrimary());
    }

    /** A request without scheduled_at is due at once; a scheduled one from its time on. */
    static boolean isDue(FailoverRequest f, long nowEpochMillis) {
        if (f.scheduledAt() == null) return true;
        try {
            return java.time.OffsetDateTime.parse(f.scheduledAt()).toInstant().toEpochMilli() <= nowEpochMillis;
        } catch (java.time.format.DateTimeParseException e) {
            return true;
        }
    }

    static Plan etcdUnreachable(Observation o) {
        LocalPostgres pg = o.local();
        if (!pg.isRunningPrimary()) {
            return Plan.waiting("etcd is unreachable: waiting (a replica never promotes without etcd)");
        }
        if (o.failsafeConfirmed()) {
            return Plan.waiting("etcd is unreachable; failsafe_mode: every member confirmed it follows this primary,"
                    + " which keeps running");
        }
        long fenceAt = o.leaderUntilNanos() - o.settings().timing().safetyMargin().toNanos();
        if (o.leaderUntilNanos() == 0 || o.nowNanos() >= fenceAt) {
            return Plan.of("etcd is unreachable and the leader lease deadline has come: stopping writes",
                    new Action.StopAtLeaseDeadline());
        }
        long leftMs = (fenceAt - o.nowNanos()) / 1_000_000;
        return Plan.waiting("etcd is unreachable: primary keeps running until its lease deadline ("
                + leftMs + " ms left)");
    }
}
