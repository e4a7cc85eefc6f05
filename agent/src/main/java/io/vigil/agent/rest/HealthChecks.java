package io.vigil.agent.rest;

import io.vigil.agent.core.NodeRole;
import io.vigil.agent.ha.NodeStatus;
import java.util.Map;

/** The status-code logic of the health endpoints (HAProxy reads only the code). Pure. */
final class HealthChecks {
    private HealthChecks() {
    }

    /** Leader with a writable Postgres, and its lease deadline not passed (a stuck loop stops answering 200). */
    static boolean primary(NodeStatus s, long nowNanos) {
        return s.role() == NodeRole.PRIMARY && nowNanos < s.leaderUntilNanos() && liveness(s, nowNanos);
    }

    /** A running replica, not tagged noloadbalance, within {@code lag} and matching every tag_ filter. */
    static boolean replica(NodeStatus s, long nowNanos, LagLimit lag, Map<String, String> tagFilters) {
        if (s.role() != NodeRole.REPLICA || s.tags().noLoadBalance() || !liveness(s, nowNanos)) return false;
        if (lag != null && lag.exceeded(s.replayLagBytes(), s.local().replayLagSeconds())) return false;
        for (Map.Entry<String, String> f : tagFilters.entrySet()) {
            if (!f.getValue().equalsIgnoreCase(tagValue(s, f.getKey()))) return false;
        }
        return true;
    }

    /** Patroni's /sync: a replica that passes {@link #replica} and is named in the sync key of a synchronous cluster. */
    static boolean synchronous(NodeStatus s, long nowNanos, LagLimit lag, Map<String, String> tagFilters) {
        return s.isSynchronousStandby() && replica(s, nowNanos, lag, tagFilters);
    }

    /**
     * Patroni's /async: a replica that passes {@link #replica} and is not a synchronous standby; 503 once
     * etcd has been unreachable for ttl (until then the last view read answers, as in Patroni).
     */
    static boolean asynchronous(NodeStatus s, long nowNanos, LagLimit lag, Map<String, String> tagFilters) {
        return s.lastKnownCluster().isPresent() && !s.isSynchronousStandby() && replica(s, nowNanos, lag, tagFilters);
    }

    private static String tagValue(NodeStatus s, String key) {
        return switch (key) {
            case "nofailover" -> String.valueOf(s.tags().noFailover());
            case "noloadbalance" -> String.valueOf(s.tags().noLoadBalance());
            case "nosync" -> String.valueOf(s.tags().noSync());
            case "clonefrom" -> String.valueOf(s.tags().cloneFrom());
            case "failover_priority" -> String.valueOf(s.tags().priority());
            case "zone" -> String.valueOf(s.tags().zone());
            case "nostream" -> String.valueOf(s.tags().noStream());
            default -> null;
        };
    }

    static boolean health(NodeStatus s, long nowNanos) {
        return s.local().running() && s.local().accepting() && liveness(s, nowNanos);
    }

    /**
     * Leader, or a replica streaming within {@code lag} (default maximum_lag_on_failover); with
     * {@code receivedOnly} (Patroni's mode=write) the bytes count from received WAL, not replayed.
     */
    static boolean readiness(NodeStatus s, long nowNanos, LagLimit lag, boolean receivedOnly) {
        if (primary(s, nowNanos)) return true;
        if (!liveness(s, nowNanos) || s.role() != NodeRole.REPLICA) return false;
        if (!s.local().streaming() && !s.tags().noStream()) return false;   // nostream: replays from the archive
        LagLimit limit = lag != null ? lag : new LagLimit(s.settings().maximumLagOnFailover(), null);
        return !limit.exceeded(receivedOnly ? s.receiveLagBytes() : s.replayLagBytes(), s.local().replayLagSeconds());
    }

    /** The loop finished a cycle within loop_wait + 2 × retry_timeout (what the loop may take at worst). */
    static boolean liveness(NodeStatus s, long nowNanos) {
        long bound = (s.settings().loopWait() + 2L * s.settings().retryTimeout() + 5) * 1_000_000_000L;
        return nowNanos - s.cycleEndedNanos() <= bound;
    }
}
