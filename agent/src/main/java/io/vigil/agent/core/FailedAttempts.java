package io.vigil.agent.core;

import io.vigil.cluster.ClusterView;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What went wrong in earlier cycles, for {@link Decider} to weigh: failed rejoins per leader, a clone
 * not yet started, clones and bootstraps that failed in a row, and the last time this node could not
 * run as primary. Immutable: each change returns a new value, kept in the loop's {@link Memory}.
 *
 * @param rejoinFailures    failed attempts to rejoin each leader (a pg_rewind failure counts as the
 *                          whole allowance)
 * @param unstartedCloneOf  the leader our data directory was cloned from, until that copy first runs
 *                          as a replica; else null
 * @param cloneFailure      clones that failed in a row from one leader; null after a clone succeeded
 * @param bootstrapFailure  bootstraps that failed in a row; null after one succeeded
 * @param failedAsPrimaryNanos when we last held the key but could not run as primary; null: never
 */
public record FailedAttempts(Map<String, Integer> rejoinFailures, String unstartedCloneOf, FailuresInARow cloneFailure,
                      FailuresInARow bootstrapFailure, Long failedAsPrimaryNanos) {
    /** Starts as a replica of one leader that may fail before it counts as a failed rejoin. */
    public static final int REJOIN_ATTEMPTS = 3;

    public static final FailedAttempts NONE = new FailedAttempts(Map.of(), null, null, null, null);

    public FailedAttempts {
        rejoinFailures = Map.copyOf(rejoinFailures);
    }

    /** Postgres runs as a replica: its rejoin succeeded, and a fresh clone has started. */
    public FailedAttempts runningAsReplica() {
        return new FailedAttempts(Map.of(), null, cloneFailure, bootstrapFailure, failedAsPrimaryNanos);
    }

    public FailedAttempts startAsReplicaFailed(String leader) {
        if (leader == null) return this;
        Map<String, Integer> r = new HashMap<>(rejoinFailures);
        r.merge(leader, 1, Integer::sum);
        return new FailedAttempts(r, unstartedCloneOf, cloneFailure, bootstrapFailure, failedAsPrimaryNanos);
    }

    public FailedAttempts rewindFailed(String source) {
        Map<String, Integer> r = new HashMap<>(rejoinFailures);
        r.put(source, REJOIN_ATTEMPTS);
        return new FailedAttempts(r, unstartedCloneOf, cloneFailure, bootstrapFailure, failedAsPrimaryNanos);
    }

    /** Our data directory was moved aside: what failed with it no longer counts. */
    public FailedAttempts dataDiscarded() {
        return new FailedAttempts(Map.of(), unstartedCloneOf, cloneFailure, bootstrapFailure, failedAsPrimaryNanos);
    }

    public FailedAttempts cloneStarting() {
        return new FailedAttempts(rejoinFailures, null, cloneFailure, bootstrapFailure, failedAsPrimaryNanos);
    }

    public FailedAttempts cloneFailed(String source, long nowNanos) {
        return new FailedAttempts(rejoinFailures, unstartedCloneOf, FailuresInARow.after(cloneFailure, source, nowNanos),
                bootstrapFailure, failedAsPrimaryNanos);
    }

    public FailedAttempts cloneDone(String source) {
        return new FailedAttempts(rejoinFailures, source, null, bootstrapFailure, failedAsPrimaryNanos);
    }

    public FailedAttempts bootstrapFailed(String scope, long nowNanos) {
        return new FailedAttempts(rejoinFailures, unstartedCloneOf, cloneFailure,
                FailuresInARow.after(bootstrapFailure, scope, nowNanos), failedAsPrimaryNanos);
    }

    public FailedAttempts bootstrapDone() {
        return new FailedAttempts(rejoinFailures, unstartedCloneOf, cloneFailure, null, failedAsPrimaryNanos);
    }

    /** We held the key but could not run as primary (a promotion failed, or we gave the key up while down). */
    public FailedAttempts failedAsPrimary(long nowNanos) {
        return new FailedAttempts(rejoinFailures, unstartedCloneOf, cloneFailure, bootstrapFailure, nowNanos);
    }

    /** Rejoining the current leader failed: pg_rewind, or {@link #REJOIN_ATTEMPTS} starts. */
    public boolean rejoinFailed(Optional<ClusterView> view) {
        return view.flatMap(ClusterView::leader)
                .map(l -> rejoinFailures.getOrDefault(l.name(), 0) >= REJOIN_ATTEMPTS).orElse(false);
    }

    /** Our data directory is a clone of the current leader that has not run yet. */
    public boolean unstartedCloneOfLeader(Optional<ClusterView> view) {
        return leaderIs(view, unstartedCloneOf);
    }

    /** Clones from the current leader that failed in a row, or null. */
    public FailuresInARow cloneFailureFromLeader(Optional<ClusterView> view) {
        return cloneFailure != null && leaderIs(view, cloneFailure.source()) ? cloneFailure : null;
    }

    private static boolean leaderIs(Optional<ClusterView> view, String name) {
        return name != null && view.flatMap(ClusterView::leader).map(l -> l.name().equals(name)).orElse(false);
    }
}
