package io.vigil.agent.core;

import io.vigil.cluster.Member;
import java.util.Set;

/**
 * One step of a {@link Plan}. Steps run in order; a step that fails (or a compare-and-set that
 * loses) ends the plan, so "acquire the key, then promote" never promotes without the key. Each
 * step says what the loop must know of it besides what it does: its {@link Trait}s.
 */
public sealed interface Action {

    /** What the loop must know of a step besides what it does. */
    enum Trait {
        /** May outlast the leader lease: the key is renewed beside it, whatever the loop's last cycle. */
        OUTLASTS_LEASE,
        /** Only etcd is touched: the cycle's look at Postgres still holds after it. */
        ETCD_ONLY,
        /** The state moved (or a step leads to the next): the next cycle follows at once. */
        NEXT_CYCLE_AT_ONCE,
        /** vigil.conf holds the settings in force after it. */
        WRITES_CONF,
        /** Also taken in maintenance mode (pause). */
        WHILE_PAUSED,
        /** Routine upkeep: a node doing only these is free for an operator's restart. */
        ROUTINE,
        /** We stop leading before it runs: the lease deadline goes to 0 and the renewals stop. */
        ENDS_LEADERSHIP
    }

    Set<Trait> NONE = Set.of();

    /** This step's traits. */
    Set<Trait> traits();

    default boolean has(Trait t) {
        return traits().contains(t);
    }

    /** Bootstrap race: create {@code initialize} and the leader key together. */
    record ClaimInitialize() implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.NEXT_CYCLE_AT_ONCE);
        }
    }

    /** initdb, start as primary, create roles, record the system identifier. */
    record InitializeDatabase() implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.OUTLASTS_LEASE, Trait.NEXT_CYCLE_AT_ONCE, Trait.WRITES_CONF);
        }
    }

    /** Adopt an existing data directory for a cluster whose etcd state is gone. */
    record AdoptExistingData(String systemId) implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.NEXT_CYCLE_AT_ONCE);
        }
    }

    /** Create the leader key if absent (atomic). */
    record AcquireLeader() implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.NEXT_CYCLE_AT_ONCE);
        }
    }

    /** Confirm the leader key is ours, refreshing our lease deadline. */
    record RenewLeader() implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.ETCD_ONLY, Trait.WHILE_PAUSED, Trait.ROUTINE);
        }
    }

    /** Delete the leader key if it is ours. */
    record ReleaseLeader() implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.ENDS_LEADERSHIP, Trait.NEXT_CYCLE_AT_ONCE);
        }
    }

    /** Publish the leader's WAL position in {@code status}, with its permanent slots' positions. */
    record PublishLeaderPosition(long lsn, java.util.Map<String, Long> slots) implements Action {
        public PublishLeaderPosition {
            slots = java.util.Map.copyOf(slots);
        }

        public PublishLeaderPosition(long lsn) {
            this(lsn, java.util.Map.of());
        }

        public Set<Trait> traits() {
            return Set.of(Trait.ETCD_ONLY, Trait.WHILE_PAUSED, Trait.ROUTINE);
        }
    }

    /**
     * Create the {@code wanted} slots; drop those in {@code managed} (slots of members we have known)
     * that are no longer wanted. Slots of other tools are never touched.
     */
    record SyncSlots(Set<String> wanted, Set<String> managed) implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.WHILE_PAUSED, Trait.ROUTINE);
        }

        /** The wanted slots missing from {@code present}. */
        public java.util.List<String> toCreate(java.util.Collection<String> present) {
            return wanted.stream().filter(s -> !present.contains(s)).toList();
        }

        /** The slots in {@code present} that we manage and no longer want. */
        public java.util.List<String> toDrop(java.util.Collection<String> present) {
            return present.stream().filter(s -> managed.contains(s) && !wanted.contains(s)).toList();
        }

        /** Whether Postgres, with these slots, has anything to create or drop. */
        public boolean changes(java.util.Collection<String> present) {
            return !toCreate(present).isEmpty() || !toDrop(present).isEmpty();
        }
    }

    /**
     * Move this replica's copies of permanent slots forward to the leader's positions (each slot: the
     * leader's restart_lsn; Postgres stops at what this standby has replayed).
     */
    record AdvanceSlots(java.util.Map<String, Long> to) implements Action {
        public AdvanceSlots {
            to = java.util.Map.copyOf(to);
        }

        public Set<Trait> traits() {
            return Set.of(Trait.WHILE_PAUSED, Trait.ROUTINE);
        }
    }

    /**
     * pg_ctl promote, then record the timeline switch in history. {@code fastTakeover}: the evidence a
     * fast takeover went on (history and metrics tell it apart); null after the leader key was free.
     */
    record Promote(long oldTimeline, long lsn, String fastTakeover) implements Action {
        public Promote(long oldTimeline, long lsn) {
            this(oldTimeline, lsn, null);
        }

        public Set<Trait> traits() {
            return Set.of(Trait.OUTLASTS_LEASE, Trait.NEXT_CYCLE_AT_ONCE);
        }
    }

    /**
     * Synchronous mode's fast takeover ({@link FastTakeover}): in one etcd transaction, only if the
     * leader key and the sync key are as read, this node becomes leader and the sync key names nobody;
     * then the old leader's lease is revoked.
     */
    record TakeOver(String oldLeader, long oldLeaseId, long leaderModRevision, long syncModRevision)
            implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.NEXT_CYCLE_AT_ONCE);
        }
    }

    /** Stop Postgres; it comes back as a replica on a later cycle. */
    record Demote(boolean immediate) implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.ENDS_LEADERSHIP, Trait.NEXT_CYCLE_AT_ONCE);
        }
    }

    /**
     * Our lease deadline has passed: stop Postgres as the fence does (writers stopped, the walsenders let
     * finish for 200 ms at most, then all killed); it comes back as a replica on a later cycle.
     */
    record StopAtLeaseDeadline() implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.ENDS_LEADERSHIP, Trait.NEXT_CYCLE_AT_ONCE);
        }
    }

    /** Start the existing data directory as a primary (only while holding the key). */
    record StartPrimary() implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.OUTLASTS_LEASE, Trait.NEXT_CYCLE_AT_ONCE, Trait.WRITES_CONF);
        }
    }

    /** Start as a standby streaming from {@code upstream} (null: no upstream yet). */
    record StartReplica(Member upstream) implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.OUTLASTS_LEASE, Trait.NEXT_CYCLE_AT_ONCE, Trait.WRITES_CONF);
        }
    }

    /** Repoint a running replica at {@code upstream} without a restart. */
    record Follow(Member upstream) implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.NEXT_CYCLE_AT_ONCE, Trait.WRITES_CONF, Trait.WHILE_PAUSED);
        }
    }

    /** pg_rewind against {@code source}, then start as its replica. */
    record Rewind(Member source) implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.NEXT_CYCLE_AT_ONCE, Trait.WRITES_CONF);
        }
    }

    /** Move the data directory aside and clone afresh from {@code source}. */
    record Reclone(Member source) implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.NEXT_CYCLE_AT_ONCE, Trait.WRITES_CONF);
        }
    }

    /**
     * Planned switchover from this leader: stop Postgres cleanly, check {@code candidate} received
     * the final WAL, then release the key for it (or restart as primary if it did not).
     */
    record HandOver(Member candidate) implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.OUTLASTS_LEASE, Trait.NEXT_CYCLE_AT_ONCE);
        }
    }

    /** Delete the switchover/failover request: done, or impossible. */
    record ClearFailover() implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.ETCD_ONLY, Trait.NEXT_CYCLE_AT_ONCE, Trait.WHILE_PAUSED);
        }
    }

    /** Stop (fast) and start Postgres in its current role; a primary keeps the key meanwhile. */
    record RestartPostgres(boolean asPrimary, Member upstream) implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.OUTLASTS_LEASE, Trait.NEXT_CYCLE_AT_ONCE, Trait.WRITES_CONF);
        }
    }

    /** Rewrite vigil.conf with the settings in force and reload Postgres ({@code upstream}: null on a primary). */
    record ReloadPostgres(Member upstream) implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.WRITES_CONF, Trait.WHILE_PAUSED);
        }
    }

    /** Compare-and-set the sync key to this leader and {@code members} (expected mod revision: 0 = absent). */
    record WriteSync(java.util.Set<String> members, long expectedRevision) implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.ETCD_ONLY, Trait.NEXT_CYCLE_AT_ONCE);
        }
    }

    /**
     * Set synchronous_standby_names to wait for every one of {@code members} ({@code ["*"]}: any
     * standby; empty: none; null: Vigil stops managing it) and reload.
     */
    record SetSyncStandbys(java.util.List<String> members) implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.NEXT_CYCLE_AT_ONCE, Trait.WRITES_CONF);
        }
    }

    /** pg_basebackup from {@code source} into the empty data directory, then start as its replica. */
    record Clone(Member source) implements Action {
        public Set<Trait> traits() {
            return Set.of(Trait.NEXT_CYCLE_AT_ONCE, Trait.WRITES_CONF, Trait.WHILE_PAUSED);
        }
    }
}
