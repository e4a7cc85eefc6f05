package io.vigil.agent.ha;

import io.vigil.agent.peers.PeerClient;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Member;
import io.vigil.config.AgentConfig;
import io.vigil.config.ClusterSettings;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failsafe mode: a leader that cannot reach etcd asks every member of its last etcd read to confirm
 * it follows; a member that confirmed does not race for the key for ttl. The asking runs in the loop
 * thread, the answering in the REST API's.
 */
final class Failsafe {
    private static final Logger log = LoggerFactory.getLogger(Failsafe.class);

    private final AgentConfig cfg;
    private final PeerClient peers;
    private final LeaderLease lease;
    private final Supplier<ClusterSettings> settings;
    private final LongSupplier clock;
    private volatile String heardFrom;
    private volatile long heardNanos;

    Failsafe(AgentConfig cfg, PeerClient peers, LeaderLease lease, Supplier<ClusterSettings> settings, LongSupplier clock) {
        this.cfg = cfg;
        this.peers = peers;
        this.lease = lease;
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * POST /failsafe from a primary that cannot reach etcd: accepted (null: we will not race for the
     * key for ttl) unless failsafe mode is off or we run as a primary ourselves (why not).
     */
    String accept(String leader, boolean runningPrimary) {
        if (!settings.get().failsafeMode()) return "failsafe_mode is off";
        if (runningPrimary && !cfg.name().equals(leader)) return "this node runs as primary";
        heardNanos = clock.getAsLong();
        heardFrom = leader;
        return null;
    }

    /** The primary that told us within ttl that it runs without etcd, or null. */
    String leaderHeard(long nowNanos) {
        String from = heardFrom;
        return from != null && nowNanos - heardNanos < settings.get().timing().ttl().toNanos() ? from : null;
    }

    /**
     * We lead, with etcd unreachable: asks every member of {@code lastView} to confirm it follows us.
     * All confirmed: our deadline moves to when we asked + ttl, like a renewal.
     */
    boolean confirm(boolean runningPrimary, ClusterView lastView) {
        ClusterSettings s = settings.get();
        if (!s.failsafeMode() || !lease.held() || !runningPrimary || lastView == null) return false;
        List<Member> others = lastView.members().values().stream().filter(m -> !m.name().equals(cfg.name())).toList();
        long sent = clock.getAsLong();
        Map<String, Boolean> answers = peers.postFailsafe(others, cfg.name(), cfg.restUser(), cfg.restPassword());
        List<String> missing = answers.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey).toList();
        if (!missing.isEmpty()) {
            log.warn("failsafe: no confirmation from {}; this primary stops at its lease deadline", missing);
            return false;
        }
        lease.renewed(sent, s.timing().ttl().toNanos());
        return true;
    }
}
