package io.vigil.agent.ha;

import io.vigil.agent.core.LocalPostgres;
import io.vigil.agent.core.NodeRole;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Lsn;
import io.vigil.config.Tags;
import io.vigil.config.ClusterSettings;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the HA loop published after its last cycle, with the live lease deadline. The REST API and
 * metrics read only this.
 *
 * @param cycleEndedNanos  monotonic time the last cycle ended
 * @param etcdLastSeenEpochSeconds wall-clock second of the last successful etcd read (0: never)
 * @param scheduledRestart a restart the operator scheduled, or null
 * @param failsafeActive   failsafe_mode keeps a primary running without etcd: as its leader, every member
 *                         confirmed it this cycle; as a member, the leader asked within ttl (Patroni's meaning)
 * @param refusedParameters cluster-wide parameter values this node's Postgres refuses: what it keeps and why
 * @param lastKnownCluster {@code cluster}, or while etcd is unreachable the last view read within ttl (what
 *                         Patroni's /sync, /async and /failsafe keep answering from); empty after that
 */
public record NodeStatus(
        String scope,
        String name,
        NodeRole role,
        boolean holdsKey,
        LocalPostgres local,
        Optional<ClusterView> cluster,
        ClusterSettings settings,
        Tags tags,
        String decision,
        List<String> actions,
        String lastError,
        long cycleEndedNanos,
        long leaderUntilNanos,
        long etcdLastSeenEpochSeconds,
        ScheduledRestart scheduledRestart,
        boolean failsafeActive,
        Map<String, String> refusedParameters,
        Optional<ClusterView> lastKnownCluster) {

    /** With the last known view being this cycle's read. */
    public NodeStatus(String scope, String name, NodeRole role, boolean holdsKey, LocalPostgres local,
                      Optional<ClusterView> cluster, ClusterSettings settings, Tags tags, String decision,
                      List<String> actions, String lastError, long cycleEndedNanos, long leaderUntilNanos,
                      long etcdLastSeenEpochSeconds, ScheduledRestart scheduledRestart, boolean failsafeActive,
                      Map<String, String> refusedParameters) {
        this(scope, name, role, holdsKey, local, cluster, settings, tags, decision, actions, lastError, cycleEndedNanos,
                leaderUntilNanos, etcdLastSeenEpochSeconds, scheduledRestart, failsafeActive, refusedParameters, cluster);
    }

    /** With no refused parameters. */
    public NodeStatus(String scope, String name, NodeRole role, boolean holdsKey, LocalPostgres local,
                      Optional<ClusterView> cluster, ClusterSettings settings, Tags tags, String decision,
                      List<String> actions, String lastError, long cycleEndedNanos, long leaderUntilNanos,
                      long etcdLastSeenEpochSeconds, ScheduledRestart scheduledRestart, boolean failsafeActive) {
        this(scope, name, role, holdsKey, local, cluster, settings, tags, decision, actions, lastError, cycleEndedNanos,
                leaderUntilNanos, etcdLastSeenEpochSeconds, scheduledRestart, failsafeActive, Map.of());
    }

    /** This status with the lease deadline as it is now (renewals beside the loop move it between cycles). */
    public NodeStatus withLeaderUntil(long untilNanos) {
        if (untilNanos == leaderUntilNanos) return this;
        return new NodeStatus(scope, name, role, holdsKey, local, cluster, settings, tags, decision, actions, lastError,
                cycleEndedNanos, untilNanos, etcdLastSeenEpochSeconds, scheduledRestart, failsafeActive, refusedParameters,
                lastKnownCluster);
    }

    /** This status with a fresher etcd view (for checks that must not act on a stale one). */
    public NodeStatus withCluster(ClusterView fresh) {
        return new NodeStatus(scope, name, role, holdsKey, local, Optional.of(fresh),
                fresh.settings() == null ? settings : fresh.settings(), tags, decision, actions, lastError,
                cycleEndedNanos, leaderUntilNanos, etcdLastSeenEpochSeconds, scheduledRestart, failsafeActive,
                refusedParameters, Optional.of(fresh));
    }

    /** The Patroni-style state word: running, starting, stopped or uninitialized. */
    public String state() {
        if (!local.hasData()) return "uninitialized";
        if (!local.running()) return "stopped";
        return local.accepting() ? "running" : "starting";
    }

    /** A replica named in the sync key while synchronous_mode is on (etcd's last known view). */
    public boolean isSynchronousStandby() {
        return role == NodeRole.REPLICA
                && lastKnownCluster.map(v -> v.sync().namesInSynchronousMode(settings, name)).orElse(false);
    }

    /** Bytes this replica's replayed WAL is behind the leader's last published position. */
    public long replayLagBytes() {
        return bytesBehindLeader(local.replayLsn());
    }

    /** Bytes this replica's received (flushed) WAL is behind the leader's last published position. */
    public long receiveLagBytes() {
        return bytesBehindLeader(local.receiveLsn());
    }

    private long bytesBehindLeader(Lsn lsn) {
        long leaderLsn = cluster.map(ClusterView::lastLeaderLsn).orElse(0L);
        if (lsn == null || leaderLsn == 0) return 0;
        return Math.max(0, leaderLsn - lsn.value());
    }
}
