package io.vigil.agent.core;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.LeaderKey;
import io.vigil.cluster.SyncState;
import io.vigil.config.ClusterSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Synchronous mode's fast takeover: a standby named in the sync key takes the leader key before the
 * leader's lease expires, once the leader is gone by the evidence of a majority of the other members.
 *
 * <p>Safe because every acknowledged commit is on every standby the sync key names (Postgres waits for
 * all of them, FIRST n of n, and {@link SyncRules} names a standby only after Postgres waits for it and
 * drops it from the key before Postgres stops waiting). Our stream from the leader is down, so the old
 * leader can get nothing more acknowledged; and the takeover moves the sync key, so its next sync key
 * write (needed before it names another standby or goes asynchronous) fails.
 */
public final class FastTakeover {
    private FastTakeover() {
    }

    /** The takeover and promotion, or null when the leader's lease stands. */
    static Plan plan(Observation o, ClusterView view) {
        Evidence e = evidence(o, view);
        if (e.refusal() != null) return null;
        LeaderKey key = view.leader().orElseThrow();
        LocalPostgres pg = o.local();
        List<Action> steps = new ArrayList<>(List.of(
                new Action.TakeOver(key.name(), key.leaseId(), key.modRevision(), view.sync().modRevision()),
                new Action.Promote(pg.timeline(), pg.walPosition().value(), e.summary())));
        if (o.settings().synchronousModeStrict()) steps.add(new Action.SetSyncStandbys(List.of(SyncRules.ANY)));
        return Plan.of("fast takeover from " + key.name() + ": " + e.summary() + "; taking the key and promoting", steps);
    }

    /**
     * What this node knows of the leader being gone: a summary, and why it may not take over yet
     * ({@code refusal}, null when it may).
     */
    record Evidence(String summary, String refusal) {
    }

    static Evidence evidence(Observation o, ClusterView view) {
        ClusterSettings s = o.settings();
        LeaderKey key = view.leader().orElseThrow();
        String leader = key.name();
        if (!s.fastTakeoverOn()) return refused("fast takeover is off (synchronous mode, fast_takeover, not paused)");
        SyncState sync = view.sync();
        if (!leader.equals(sync.leader()) || !sync.members().contains(o.self())) {
            return refused("the sync key of " + leader + " does not name this node");
        }
        LocalPostgres pg = o.local();
        if (!pg.isRunningReplica() || pg.walPosition() == null) return refused("not a running replica");
        if (pg.streaming()) return refused("our WAL stream from " + leader + " is up");
        Candidacy.Candidate self = new Candidacy.Candidate(o.self(), o.tags(), o.watchdogProblem(), null,
                pg.walPosition().value(), pg.timeline());
        String why = Candidacy.whyNot(s, view, view.lastLeaderLsn(), self);
        if (why != null) return refused(why);
        List<String> others = view.members().keySet().stream().filter(n -> !n.equals(leader)).sorted().toList();
        TreeSet<String> sure = new TreeSet<>();
        TreeSet<String> soon = new TreeSet<>();
        for (String name : o.memory().unreachableSeenNanos().keySet()) {
            if (!others.contains(name)) continue;
            (nanosUntilSure(o.settings(), view, o.memory(), name, o.nowNanos(), o.nowEpochMillis()) == 0 ? sure : soon)
                    .add(name);
        }
        String summary = String.join(", ", sure) + (sure.isEmpty() ? "nobody" : "") + " saw " + leader
                + " unreachable for " + s.unreachableFor() + " s or more (" + sure.size() + " of " + others.size()
                + " members besides it" + (soon.isEmpty() ? "" : "; not long enough yet: " + String.join(", ", soon)) + ")";
        if (!sure.contains(o.self())) return new Evidence(summary, "this node has not seen " + leader + " unreachable for "
                + s.unreachableFor() + " s");
        if (sure.size() * 2 <= others.size()) return new Evidence(summary, "no majority of the members besides "
                + leader + " has seen it unreachable for " + s.unreachableFor() + " s");
        return new Evidence(summary, null);
    }

    /**
     * How long until {@code member}'s mark counts (0: it does): it must say the leader has been unreachable
     * for unreachable_for by its own clock (its {@code since}), and we must have seen it for half of that
     * by ours, so a member's clock running behind cannot make it count at once.
     */
    static long nanosUntilSure(ClusterSettings s, ClusterView view, Memory m, String member, long nowNanos,
                               long nowEpochMillis) {
        Long seen = m.unreachableSeenNanos().get(member);
        io.vigil.cluster.Member x = view.members().get(member);
        if (seen == null || x == null || x.leaderUnreachable() == null) return Long.MAX_VALUE;
        long needNanos = s.unreachableFor() * 1_000_000_000L;
        Long since = x.leaderUnreachable().sinceEpochMillis();
        long bySince = since == null ? seen + needNanos - nowNanos : (since - nowEpochMillis) * 1_000_000L + needNanos;
        long bySight = seen + needNanos / 2 - nowNanos;
        return Math.max(0, Math.max(bySince, bySight));
    }

    /** How long until the next mark against the leader counts (the loop decides again then); MAX_VALUE: none pending. */
    public static long nanosUntilNextMark(ClusterSettings s, ClusterView view, Memory m, long nowNanos, long nowEpochMillis) {
        return m.unreachableSeenNanos().keySet().stream()
                .mapToLong(n -> nanosUntilSure(s, view, m, n, nowNanos, nowEpochMillis))
                .filter(left -> left > 0).min().orElse(Long.MAX_VALUE);
    }

    private static Evidence refused(String why) {
        return new Evidence(null, why);
    }
}
