package io.vigil.agent.ha;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Lsn;
import io.vigil.cluster.Member;
import io.vigil.config.ClusterSettings;
import java.util.Optional;

/**
 * Whether a member could be promoted now, judged from the etcd view alone (as the REST API, the
 * CLI and switchover checks see it). Pure. The election itself ({@link ElectionRules}) also asks
 * the peers.
 */
public final class Candidacy {
    private Candidacy() {
    }

    /** Why {@code m} may not become leader now, or null when it may. */
    public static String whyNot(ClusterSettings s, ClusterView v, String leader, Member m) {
        if (!m.tagsOrNone().mayPromote()) return m.name() + " is tagged nofailover (or failover_priority 0)";
        if (!m.mayPromote()) return m.name() + " requires a watchdog (watchdog.mode: required) that does not work";
        String notSync = v.sync().promotionBlocker(s, m.name());
        if (notSync != null) return m.name() + " is " + notSync;
        if (!"replica".equals(m.role()) || !("streaming".equals(m.state()) || "running".equals(m.state()))) {
            return m.name() + " is not a healthy replica (role " + m.role() + ", state " + m.state() + ")";
        }
        if (v.sync().namesInSynchronousMode(s, m.name())) return null;
        long lag = lag(v, leader, m);
        long max = s.maximumLagOnFailover();
        if (lag > max) {
            return m.name() + ": lag " + (lag == Long.MAX_VALUE ? "unknown" : Lsn.size(lag))
                    + " > maximum_lag_on_failover " + Lsn.size(max);
        }
        return null;
    }

    /** Bytes {@code m} is behind the leader's published position (or the last one in status). */
    public static long lag(ClusterView v, String leader, Member m) {
        long leaderLsn = Optional.ofNullable(leader).map(v.members()::get).map(Member::xlogLocation)
                .orElse(v.lastLeaderLsn());
        return m.xlogLocation() == null ? Long.MAX_VALUE : Math.max(0, leaderLsn - m.xlogLocation());
    }
}
