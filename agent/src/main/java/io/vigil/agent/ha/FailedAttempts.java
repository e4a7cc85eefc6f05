package io.vigil.agent.ha;

import io.vigil.cluster.ClusterView;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What went wrong in earlier cycles, for {@link Decider#decide} to weigh: failed rejoins per leader,
 * a clone not yet started, clones and bootstraps that failed in a row, and the last time this node
 * could not run as primary. Written while acting, read while observing; the loop thread's only.
 */
final class FailedAttempts {
    /** Starts as a replica of one leader that may fail before it counts as a failed rejoin. */
    static final int REJOIN_ATTEMPTS = 3;

    /** Failed attempts to rejoin each leader (a pg_rewind failure counts as the whole allowance). */
    private final Map<String, Integer> rejoinFailures = new HashMap<>();
    /** The leader our data directory was cloned from, until that copy first runs as a replica; else null. */
    private String unstartedCloneOf;
    /** Clones that failed in a row from one leader; null after a clone succeeded. */
    private FailuresInARow cloneFailure;
    /** Bootstraps that failed in a row; null after one succeeded. */
    private FailuresInARow bootstrapFailure;
    private Long failedAsPrimaryNanos;

    /** Postgres runs as a replica: its rejoin succeeded, and a fresh clone has started. */
    void runningAsReplica() {
        rejoinFailures.clear();
        unstartedCloneOf = null;
    }

    void startAsReplicaFailed(String leader) {
        if (leader != null) rejoinFailures.merge(leader, 1, Integer::sum);
    }

    void rewindFailed(String source) {
        rejoinFailures.put(source, REJOIN_ATTEMPTS);
    }

    /** Our data directory was moved aside: what failed with it no longer counts. */
    void dataDiscarded() {
        rejoinFailures.clear();
    }

    void cloneStarting() {
        unstartedCloneOf = null;
    }

    void cloneFailed(String source, long nowNanos) {
        cloneFailure = FailuresInARow.after(cloneFailure, source, nowNanos);
    }

    void cloneDone(String source) {
        cloneFailure = null;
        unstartedCloneOf = source;
    }

    void bootstrapFailed(String scope, long nowNanos) {
        bootstrapFailure = FailuresInARow.after(bootstrapFailure, scope, nowNanos);
    }

    void bootstrapDone() {
        bootstrapFailure = null;
    }

    /** Bootstraps here that failed in a row, or null. */
    FailuresInARow bootstrapFailures() {
        return bootstrapFailure;
    }

    /** We held the key but could not run as primary (a promotion failed, or we gave the key up while down). */
    void failedAsPrimary(long nowNanos) {
        failedAsPrimaryNanos = nowNanos;
    }

    /** Rejoining the current leader failed: pg_rewind, or {@link #REJOIN_ATTEMPTS} starts. */
    boolean rejoinFailed(Optional<ClusterView> view) {
        return view.flatMap(ClusterView::leader)
                .map(l -> rejoinFailures.getOrDefault(l.name(), 0) >= REJOIN_ATTEMPTS).orElse(false);
    }

    /** Our data directory is a clone of the current leader that has not run yet. */
    boolean unstartedCloneOfLeader(Optional<ClusterView> view) {
        return leaderIs(view, unstartedCloneOf);
    }

    /** Clones from the current leader that failed in a row, or null. */
    FailuresInARow cloneFailureFromLeader(Optional<ClusterView> view) {
        return cloneFailure != null && leaderIs(view, cloneFailure.source()) ? cloneFailure : null;
    }

    Long failedAsPrimaryNanos() {
        return failedAsPrimaryNanos;
    }

    private static boolean leaderIs(Optional<ClusterView> view, String name) {
        return name != null && view.flatMap(ClusterView::leader).map(l -> l.name().equals(name)).orElse(false);
    }
}
