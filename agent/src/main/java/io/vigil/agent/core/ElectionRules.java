package io.vigil.agent.core;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.FailoverRequest;
import io.vigil.cluster.Lsn;
import io.vigil.cluster.Member;
import io.vigil.cluster.PeerStatus;
import java.util.Optional;

/** Decisions while nobody holds the leader key: who may race for it. */
final class ElectionRules {
    private ElectionRules() {
    }

    static Plan noLeader(Observation o, ClusterView view) {
        LocalPostgres pg = o.local();
        if (pg.isRunningPrimary()) {
            long newest = view.members().values().stream()
                    .mapToLong(m -> m.timeline() == null ? 0 : m.timeline()).max().orElse(0);
            if (newest > pg.timeline()) {
                return Plan.of("no leader, and a member is on timeline " + newest + " ahead of ours (" + pg.timeline()
                        + "): demoting", new Action.Demote(true));
            }
            return Plan.of("no leader: this running primary takes the key back", new Action.AcquireLeader());
        }
        if (!pg.running()) {
            return Plan.of("no leader: starting Postgres as a replica to join the election",
                    new Action.StartReplica(null));
        }
        if (!pg.accepting()) {
            return Plan.waiting("no leader: Postgres is starting");
        }
        Optional<FailoverRequest> request = view.failover().filter(f -> LeaderRules.isDue(f, o.nowEpochMillis()));
        if (request.isPresent()) {
            String candidate = request.get().member();
            if (!candidate.equals(o.self())) {
                return Plan.waiting("no leader: " + (request.get().isSwitchover() ? "switchover" : "failover") + " to "
                        + candidate + " in progress");
            }
            if (!o.tags().mayPromote()) {
                return Plan.of("a failover names this node, but it is tagged nofailover: dropping the request",
                        new Action.ClearFailover());
            }
            if (o.watchdogProblem() != null) {
                return Plan.of("a failover names this node, but watchdog.mode is required and " + o.watchdogProblem()
                        + ": dropping the request", new Action.ClearFailover());
            }
            return Plan.of("no leader and the " + (request.get().isSwitchover() ? "switchover" : "failover")
                    + " names this node: taking the key and promoting",
                    SyncRules.promotion(o, view, new Action.AcquireLeader(), new Action.ClearFailover()));
        }
        Optional<String> reason = notCandidateBecause(o, view);
        if (reason.isPresent()) {
            return Plan.waiting("no leader; not racing: " + reason.get());
        }
        return Plan.of("no leader: this is the most advanced healthy replica (WAL " + pg.walPosition()
                + "): taking the key and promoting", SyncRules.promotion(o, view, new Action.AcquireLeader()));
    }

    /**
     * Why this node may not race for the key, or empty when it may: what {@link Candidacy} says of it
     * (as {@code /cluster} and {@code vigil list} show it), then what only the election weighs.
     */
    static Optional<String> notCandidateBecause(Observation o, ClusterView view) {
        Lsn mine = o.local().walPosition();
        Candidacy.Candidate self = new Candidacy.Candidate(o.self(), o.tags(), o.watchdogProblem(), null, mine.value(),
                o.local().timeline());
        String why = Candidacy.whyNot(o.settings(), view, view.lastLeaderLsn(), self);
        if (why != null) return Optional.of(why);
        if (o.failedAsPrimaryNanos() != null) {
            long since = o.nowNanos() - o.failedAsPrimaryNanos();
            long cooldown = o.settings().timing().failedPrimaryCooldown().toNanos();
            if (since < cooldown) {
                return Optional.of("this node held the key " + since / 1_000_000_000L + " s ago but could not run as"
                        + " primary; the others may race first (for 2 x ttl)");
            }
        }
        if (o.failsafeLeader() != null) {
            return Optional.of("failsafe_mode: " + o.failsafeLeader() + " told us within ttl that it runs as primary");
        }
        boolean namedSync = view.sync().namesInSynchronousMode(o.settings(), o.self());
        if (!namedSync) {
            // A named synchronous standby holds every acknowledged commit: it need not wait for anyone
            Optional<String> starting = startingPeerMayBeAhead(o, view, mine);
            if (starting.isPresent()) return starting;
        }
        String failedZone = failedLeaderZone(o, view);
        for (PeerStatus peer : o.peers().values()) {
            if (!peer.reachable() || !peer.running()) continue;
            if (!peer.replica()) {
                return Optional.of(peer.name() + " still runs as a primary");
            }
            Member m = view.members().get(peer.name());
            if (!mayPromote(o, view, peer.name()) || peer.wal() == null) continue;
            if (peer.timeline() > o.local().timeline()) {
                return Optional.of(peer.name() + " is on a newer timeline (" + peer.timeline() + " > "
                        + o.local().timeline() + ")");
            }
            if (peer.timeline() < o.local().timeline()) continue;
            int cmp = peer.wal().compareTo(mine);
            if (cmp > 0) {
                return Optional.of(peer.name() + " is ahead (WAL " + peer.wal() + " > " + mine + ")");
            }
            if (cmp == 0 && m != null && m.tagsOrNone().priority() > o.tags().priority()) {
                return Optional.of(peer.name() + " is as advanced and has a higher failover_priority");
            }
            if (cmp == 0 && m != null && m.tagsOrNone().priority() == o.tags().priority() && failedZone != null
                    && failedZone.equals(o.tags().zone()) && !failedZone.equals(m.tagsOrNone().zone())) {
                return Optional.of(peer.name() + " is as advanced and outside zone " + failedZone
                        + ", where the leader failed");
            }
        }
        return Optional.empty();
    }

    /**
     * The zone tag of the leader that is gone (its member key still says primary, or it is the newest
     * leader in the history), or null: all else equal, a candidate outside that zone goes first.
     */
    private static String failedLeaderZone(Observation o, ClusterView view) {
        String leader = view.members().values().stream()
                .filter(m -> !m.name().equals(o.self()) && m.role() == io.vigil.cluster.MemberRole.PRIMARY)
                .map(Member::name).findFirst()
                .orElse(view.history().isEmpty() ? null : view.history().get(view.history().size() - 1).newLeader());
        Member m = leader == null ? null : view.members().get(leader);
        return m == null ? null : m.tagsOrNone().zone();
    }

    /**
     * A member whose Postgres is not up yet (all nodes rebooted together) cannot say how far its WAL
     * reaches. We hold the race for it, at most ttl from when we first saw no leader, when its data
     * already reaches past ours, or when we lack WAL the last leader published (it may have it). Its
     * own answer counts first; when it does not answer in time (a JVM just started), its member key.
     * A leader that shut down cleanly has no member key until its agent is up: {@code status} names it.
     */
    private static Optional<String> startingPeerMayBeAhead(Observation o, ClusterView view, Lsn mine) {
        Long since = o.leaderlessSinceNanos();
        long waitNanos = o.settings().timing().startingPeerWait().toNanos();
        if (since != null && o.nowNanos() - since >= waitNanos) return Optional.empty();
        boolean behindLastLeader = view.lastLeaderLsn() > mine.value();
        for (Member m : view.members().values()) {
            if (m.name().equals(o.self()) || !mayPromote(o, view, m.name())) continue;
            PeerStatus peer = o.peers().get(m.name());
            boolean answered = peer != null && peer.reachable();
            boolean starting = answered ? peer.starting() : m.state() == io.vigil.cluster.MemberState.STOPPED || m.state() == io.vigil.cluster.MemberState.STARTING;
            if (!starting) continue;
            Lsn reach = answered && peer.checkpoint() != null ? peer.checkpoint()
                    : m.xlogLocation() == null ? null : new Lsn(m.xlogLocation());
            long timeline = answered && peer.timeline() != 0 ? peer.timeline() : m.timeline() == null ? 0 : m.timeline();
            if (reach != null && timeline >= o.local().timeline() && reach.compareTo(mine) > 0) {
                return Optional.of(m.name() + "'s Postgres is starting and its data already reaches WAL " + reach
                        + " > ours " + mine + "; waiting for it (at most ttl)");
            }
            if (behindLastLeader) {
                return Optional.of(m.name() + "'s Postgres is starting and we lack WAL up to the last leader"
                        + " position " + new Lsn(view.lastLeaderLsn()) + " (ours " + mine
                        + "); waiting for it to report (at most ttl)");
            }
        }
        String stopped = view.stoppedLeader();
        if (behindLastLeader && stopped != null && !stopped.equals(o.self()) && !view.members().containsKey(stopped)) {
            // All nodes restarted: the leader stopped last, so only it has its final commits, and its key is gone
            return Optional.of("the last leader " + stopped + " shut down cleanly at WAL " + new Lsn(view.lastLeaderLsn())
                    + ", which we lack (ours " + mine + "); waiting for it to start (at most ttl)");
        }
        return Optional.empty();
    }

    private static boolean mayPromote(Observation o, ClusterView view, String name) {
        Member m = view.members().get(name);
        return (m == null || m.mayPromote()) && view.sync().promotionBlocker(o.settings(), name) == null;
    }
}
