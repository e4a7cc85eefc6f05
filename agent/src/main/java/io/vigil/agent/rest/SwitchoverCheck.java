package io.vigil.agent.rest;

import io.vigil.agent.ha.NodeStatus;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Member;
import java.util.Comparator;
import java.util.Optional;

/**
 * Whether a switchover or failover request can be accepted, judged on the published cluster view.
 * Pure. Status codes follow Patroni: 400 malformed, 412 a precondition on the cluster fails.
 */
final class SwitchoverCheck {
    private SwitchoverCheck() {
    }

    /** {@code status == 0} means accepted, with the chosen {@code candidate}. */
    record Verdict(int status, String message, String candidate) {
        static Verdict refuse(int status, String message) {
            return new Verdict(status, message, null);
        }

        boolean accepted() {
            return status == 0;
        }
    }

    static Verdict switchover(NodeStatus s, String leader, String candidate) {
        if (leader == null || leader.isBlank()) {
            return Verdict.refuse(400, "Switchover could be performed only from a specific leader");
        }
        Optional<ClusterView> view = s.cluster();
        if (view.isEmpty()) return Verdict.refuse(503, "etcd is unreachable from this node; try again");
        ClusterView v = view.get();
        String current = v.leader().map(l -> l.name()).orElse(null);
        if (current == null) return Verdict.refuse(412, "there is no leader now; use POST /failover to name a candidate");
        if (!current.equals(leader)) {
            return Verdict.refuse(412, "leader name does not match: the leader is " + current + ", not " + leader);
        }
        Verdict pending = pending(v);
        if (pending != null) return pending;
        if (s.settings().paused() && (candidate == null || candidate.isBlank())) {
            return Verdict.refuse(400, "Switchover is possible only to a specific candidate in a paused state");
        }
        if (candidate == null || candidate.isBlank()) {
            return best(s, v, current).map(c -> new Verdict(0, null, c.name())).orElse(Verdict.refuse(412,
                    "no candidate: no healthy replica within maximum_lag_on_failover may be promoted"));
        }
        return candidate(s, v, current, candidate);
    }

    static Verdict failover(NodeStatus s, String candidate) {
        if (candidate == null || candidate.isBlank()) {
            return Verdict.refuse(400, "Failover could be performed only to a specific candidate");
        }
        Optional<ClusterView> view = s.cluster();
        if (view.isEmpty()) return Verdict.refuse(503, "etcd is unreachable from this node; try again");
        ClusterView v = view.get();
        Verdict pending = pending(v);
        if (pending != null) return pending;
        return candidate(s, v, v.leader().map(l -> l.name()).orElse(null), candidate);
    }

    private static Verdict pending(ClusterView v) {
        return v.failover().map(f -> Verdict.refuse(409, (f.isSwitchover() ? "a switchover" : "a failover") + " to "
                + f.member() + " is already pending" + (f.scheduledAt() != null ? " (scheduled at " + f.scheduledAt()
                + "); DELETE /switchover cancels it" : ""))).orElse(null);
    }

    private static Verdict candidate(NodeStatus s, ClusterView v, String leader, String name) {
        Member m = v.members().get(name);
        if (m == null) return Verdict.refuse(412, "candidate does not exist: " + name + " is not a member of " + s.scope());
        if (name.equals(leader)) return Verdict.refuse(412, "candidate " + name + " is already the leader");
        String why = notEligible(s, v, leader, m);
        return why == null ? new Verdict(0, null, name) : Verdict.refuse(412, "candidate " + why);
    }

    /** Why a member may not be promoted now, or null when it may. */
    static String notEligible(NodeStatus s, ClusterView v, String leader, Member m) {
        return io.vigil.agent.core.Candidacy.whyNot(s.settings(), v, leader, m);
    }

    private static Optional<Member> best(NodeStatus s, ClusterView v, String leader) {
        return v.members().values().stream()
                .filter(m -> !m.name().equals(leader) && notEligible(s, v, leader, m) == null)
                .max(Comparator.<Member>comparingLong(m -> m.xlogLocation() == null ? 0 : m.xlogLocation())
                        .thenComparingInt(m -> m.tagsOrNone().priority()));
    }
}
