package io.vigil.agent.core;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Lsn;
import io.vigil.cluster.Member;
import io.vigil.config.Tags;
import io.vigil.config.ClusterSettings;
import java.util.Optional;

/**
 * Whether a member may take over now, and if not why: the one answer that the election
 * ({@link ElectionRules}, which then also weighs its peers), {@code /cluster}, {@code vigil list} and
 * the switchover checks all give. Pure.
 */
public final class Candidacy {
    private Candidacy() {
    }

    /**
     * What is known of a would-be leader: from its member key, or, for the node deciding about itself,
     * from its own Postgres.
     *
     * @param watchdogProblem watchdog.mode is required and its watchdog does not work: why (null: fine)
     * @param unhealthy     why it is not a healthy replica, or null when it is one
     * @param walPosition   how far its WAL reaches, or null when unknown
     * @param timeline      its timeline (0: unknown)
     */
    public record Candidate(String name, Tags tags, String watchdogProblem, String unhealthy, Long walPosition,
                            long timeline) {
        /** As its member key shows it. */
        public static Candidate of(Member m) {
            return new Candidate(m.name(), m.tagsOrNone(),
                    Boolean.TRUE.equals(m.watchdogFailed()) ? "its watchdog does not work" : null,
                    m.isHealthyReplica() ? null : "not a healthy replica (role " + m.role() + ", state " + m.state() + ")",
                    m.xlogLocation(), m.timeline() == null ? 0 : m.timeline());
        }
    }

    /** Why {@code m} may not become leader now, judged from the etcd view, or null when it may. */
    public static String whyNot(ClusterSettings s, ClusterView v, String leader, Member m) {
        String why = whyNot(s, v, leaderPosition(v, leader), Candidate.of(m));
        return why == null ? null : m.name() + ": " + why;
    }

    /**
     * Why {@code c} may not become leader now, or null when it may. {@code leaderPosition}: the WAL
     * position its lag is measured from (the leader's published one, else the last in {@code status};
     * 0: unknown). In order: its tags, its watchdog, the sync key, its health, check_timeline, its lag,
     * and, in an election, a member on a newer timeline.
     */
    static String whyNot(ClusterSettings s, ClusterView v, long leaderPosition, Candidate c) {
        if (!c.tags().mayPromote()) return c.tags().noFailover() ? "tagged nofailover" : "failover_priority is 0";
        if (c.watchdogProblem() != null) return "watchdog.mode is required but " + c.watchdogProblem();
        String notSync = v.sync().promotionBlocker(s, c.name());
        if (notSync != null) return notSync;
        if (c.unhealthy() != null) return c.unhealthy();
        if (s.checkTimeline() && !v.history().isEmpty()) {
            long expected = v.history().get(v.history().size() - 1).timeline() + 1;
            if (c.timeline() < expected) {
                return "check_timeline: on timeline " + c.timeline() + ", the cluster's is " + expected;
            }
        }
        if (!v.sync().namesInSynchronousMode(s, c.name()) && leaderPosition > 0) {
            long lag = c.walPosition() == null ? Long.MAX_VALUE : Math.max(0, leaderPosition - c.walPosition());
            if (lag > s.maximumLagOnFailover()) {
                return "lag " + (lag == Long.MAX_VALUE ? "unknown" : Lsn.size(lag)) + " behind the last leader position"
                        + " > maximum_lag_on_failover " + Lsn.size(s.maximumLagOnFailover());
            }
        }
        // Only an election weighs the others' timelines: while a leader holds the key, a handover checks that
        // the candidate received the leader's last WAL, and the replicas' member keys (published every
        // loop_wait) may still show the timelines of failovers just before.
        for (Member m : v.leader().isPresent() ? java.util.List.<Member>of() : v.members().values()) {
            long tl = m.timeline() == null ? 0 : m.timeline();
            if (!m.name().equals(c.name()) && m.mayPromote() && c.timeline() > 0 && tl > c.timeline()) {
                return m.name() + " published a newer timeline (" + tl + " > " + c.timeline()
                        + "); it must lead, or its key must expire";
            }
        }
        return null;
    }

    /** Bytes {@code m} is behind the leader's published position (or the last one in status). */
    public static long lag(ClusterView v, String leader, Member m) {
        long leaderLsn = leaderPosition(v, leader);
        return m.xlogLocation() == null ? Long.MAX_VALUE : Math.max(0, leaderLsn - m.xlogLocation());
    }

    /** The leader's published WAL position, else the last leader position in {@code status}. */
    static long leaderPosition(ClusterView v, String leader) {
        return Optional.ofNullable(leader).map(v.members()::get).map(Member::xlogLocation).orElse(v.lastLeaderLsn());
    }
}
