package io.vigil.agent.ha;

import io.vigil.cluster.Member;
import java.util.Set;

/**
 * One step of a {@link Plan}. Steps run in order; a step that fails (or a compare-and-set that
 * loses) ends the plan, so "acquire the key, then promote" never promotes without the key.
 */
public sealed interface Action {

    /** Bootstrap race: create {@code initialize} and the leader key together. */
    record ClaimInitialize() implements Action {}

    /** initdb, start as primary, create roles, record the system identifier. */
    record InitializeDatabase() implements Action {}

    /** Adopt an existing data directory for a cluster whose etcd state is gone. */
    record AdoptExistingData(String systemId) implements Action {}

    /** Create the leader key if absent (atomic). */
    record AcquireLeader() implements Action {}

    /** Confirm the leader key is ours, refreshing our lease deadline. */
    record RenewLeader() implements Action {}

    /** Delete the leader key if it is ours. */
    record ReleaseLeader() implements Action {}

    /** Publish the leader's WAL position in {@code status}. */
    record PublishLeaderPosition(long lsn) implements Action {}

    /**
     * Create the {@code wanted} slots; drop those in {@code managed} (slots of members we have known)
     * that are no longer wanted. Slots of other tools are never touched.
     */
    record SyncSlots(Set<String> wanted, Set<String> managed) implements Action {
        /** The wanted slots missing from {@code present}. */
        public java.util.List<String> toCreate(java.util.List<String> present) {
            return wanted.stream().filter(s -> !present.contains(s)).toList();
        }

        /** The slots in {@code present} that we manage and no longer want. */
        public java.util.List<String> toDrop(java.util.List<String> present) {
            return present.stream().filter(s -> managed.contains(s) && !wanted.contains(s)).toList();
        }

        /** Whether Postgres, with these slots, has anything to create or drop. */
        public boolean changes(java.util.List<String> present) {
            return !toCreate(present).isEmpty() || !toDrop(present).isEmpty();
        }
    }

    /** pg_ctl promote, then record the timeline switch in history. */
    record Promote(long oldTimeline, long lsn) implements Action {}

    /** Stop Postgres; it comes back as a replica on a later cycle. */
    record Demote(boolean immediate) implements Action {}

    /**
     * Our lease deadline has passed: stop Postgres as the fence does (writers stopped, the walsenders let
     * finish for 200 ms at most, then all killed); it comes back as a replica on a later cycle.
     */
    record StopAtLeaseDeadline() implements Action {}

    /** Start the existing data directory as a primary (only while holding the key). */
    record StartPrimary() implements Action {}

    /** Start as a standby streaming from {@code upstream} (null: no upstream yet). */
    record StartReplica(Member upstream) implements Action {}

    /** Repoint a running replica at {@code upstream} without a restart. */
    record Follow(Member upstream) implements Action {}

    /** pg_rewind against {@code source}, then start as its replica. */
    record Rewind(Member source) implements Action {}

    /** Move the data directory aside and clone afresh from {@code source}. */
    record Reclone(Member source) implements Action {}

    /**
     * Planned switchover from this leader: stop Postgres cleanly, check {@code candidate} received
     * the final WAL, then release the key for it (or restart as primary if it did not).
     */
    record HandOver(Member candidate) implements Action {}

    /** Delete the switchover/failover request: done, or impossible. */
    record ClearFailover() implements Action {}

    /** Stop (fast) and start Postgres in its current role; a primary keeps the key meanwhile. */
    record RestartPostgres(boolean asPrimary, Member upstream) implements Action {}

    /** Rewrite vigil.conf with the settings in force and reload Postgres ({@code upstream}: null on a primary). */
    record ReloadPostgres(Member upstream) implements Action {}

    /** Compare-and-set the sync key to this leader and {@code members} (expected mod revision: 0 = absent). */
    record WriteSync(java.util.Set<String> members, long expectedRevision) implements Action {}

    /**
     * Set synchronous_standby_names to wait for every one of {@code members} ({@code ["*"]}: any
     * standby; empty: none; null: Vigil stops managing it) and reload.
     */
    record SetSyncStandbys(java.util.List<String> members) implements Action {}

    /** pg_basebackup from {@code source} into the empty data directory, then start as its replica. */
    record Clone(Member source) implements Action {}
}
