package io.vigil.agent.core;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.PeerStatus;
import io.vigil.config.Tags;
import io.vigil.config.ClusterSettings;
import java.util.Map;
import java.util.Optional;

/**
 * Everything {@link Decider} looks at, gathered once per cycle, with the {@link Memory} the last cycle
 * left. Immutable; time is an input.
 *
 * @param self             this node's name
 * @param tags             this node's tags
 * @param settings         cluster-wide settings in force (etcd's, or the bootstrap seed)
 * @param cluster          the etcd read; empty when etcd could not be reached
 * @param local            this node's Postgres
 * @param peers            peers' own status, fetched only when the leader key is absent
 * @param nowNanos         monotonic now
 * @param nowEpochMillis   wall-clock now, only for scheduled switchovers
 * @param leaderUntilNanos our lease deadline as leader (0 when we are not leader)
 * @param memory           what earlier cycles left: timers, last-seen times, failed attempts
 * @param command          an operator's command for this node, or null
 * @param parameters       the Postgres parameters vigil.conf should carry, synchronous_standby_names aside:
 *                         the cluster-wide ones this node's Postgres accepts, then the node's own
 * @param syncConfirmed    members seen synchronous in pg_stat_replication that have since flushed past
 *                         a WAL position written after they were first seen so
 * @param failsafeConfirmed failsafe mode, leader with etcd unreachable: every member known at the last
 *                         etcd read confirmed this cycle that it follows us
 * @param failsafeLeader   failsafe mode: the primary that told us within ttl that it is alive without
 *                         etcd (we must not race for the key), or null
 * @param watchdogProblem  watchdog.mode is required and the watchdog does not work: why (null: fine or not required)
 */
public record Observation(
        String self,
        Tags tags,
        ClusterSettings settings,
        Optional<ClusterView> cluster,
        LocalPostgres local,
        Map<String, PeerStatus> peers,
        long nowNanos,
        long nowEpochMillis,
        long leaderUntilNanos,
        Memory memory,
        NodeCommand command,
        Map<String, Object> parameters,
        java.util.Set<String> syncConfirmed,
        boolean failsafeConfirmed,
        String failsafeLeader,
        String watchdogProblem) {

    public Observation {
        parameters = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(parameters));
    }

    /** vigil.conf, written now, would differ from what was last written: Postgres must reload it. */
    public boolean parametersStale() {
        return memory.parametersStale(parameters);
    }

    /** This observation with {@code m} as what earlier cycles left. */
    public Observation withMemory(Memory m) {
        return new Observation(self, tags, settings, cluster, local, peers, nowNanos, nowEpochMillis, leaderUntilNanos,
                m, command, parameters, syncConfirmed, failsafeConfirmed, failsafeLeader, watchdogProblem);
    }

    /** When our Postgres was first seen not running as primary while we led (null: it runs, or we do not lead). */
    public Long downSinceNanos() {
        return memory.downSinceNanos();
    }

    /** When our running replica was first seen without a streaming WAL receiver (null: streaming). */
    public Long notStreamingSinceNanos() {
        return memory.notStreamingSinceNanos();
    }

    /**
     * Rejoining the current leader failed (pg_rewind, or three starts as its replica); the next step is
     * a fresh clone.
     */
    public boolean rewindFailed() {
        return memory.attempts().rejoinFailed(cluster);
    }

    /**
     * Our data directory is a clone of the current leader that has not run yet: a failed start is
     * retried as it is, never rewound or cloned again.
     */
    public boolean unstartedClone() {
        return memory.attempts().unstartedCloneOfLeader(cluster);
    }

    /** Clones from the current leader that failed in a row, or null. */
    public FailuresInARow cloneFailure() {
        return memory.attempts().cloneFailureFromLeader(cluster);
    }

    /** Bootstraps on this node that failed in a row, or null. */
    public FailuresInARow bootstrapFailure() {
        return memory.attempts().bootstrapFailure();
    }

    /** When each member's slot was last wanted (a member seen in etcd). */
    public Map<String, Long> slotLastSeenNanos() {
        return memory.slotLastSeenNanos();
    }

    /** When this agent first saw no leader key in the current leaderless spell (null: a leader is known). */
    public Long leaderlessSinceNanos() {
        return memory.leaderlessSinceNanos();
    }

    /**
     * When this node last held the key but could not run as primary (a promotion failed, or
     * primary_start_timeout passed); null: never.
     */
    public Long failedAsPrimaryNanos() {
        return memory.attempts().failedAsPrimaryNanos();
    }
}
