package io.vigil.agent.core;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.LeaderKey;
import io.vigil.cluster.Lsn;
import io.vigil.cluster.Member;
import io.vigil.cluster.PeerStatus;
import io.vigil.config.Tags;
import io.vigil.config.ClusterSettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Builders for observations in decide tests. */
final class Fixtures {
    static final String SYSID = "7712507176855122452";
    static final ClusterSettings SETTINGS = new ClusterSettings(30, 10, 10, 1_048_576L, 1800, 30, null, null, null, null, null, null, null, null, null, null);
    static final long SEC = 1_000_000_000L;
    static final long NOW_MILLIS = java.time.OffsetDateTime.parse("2026-11-26T12:00:00Z").toInstant().toEpochMilli();

    private Fixtures() {
    }

    static LocalPostgres primary(long tl, long lsn) {
        return new LocalPostgres(true, true, true, false, tl, new Lsn(lsn), null, null, false, null, SYSID, 150018,
                null, null, List.of(), java.util.Map.of(), false, null);
    }

    static LocalPostgres replica(long tl, long lsn, String upstream, boolean streaming) {
        return new LocalPostgres(true, true, true, true, tl, null, new Lsn(lsn), new Lsn(lsn), streaming, upstream,
                SYSID, 150018, null, 0L, List.of(), java.util.Map.of(), false, null);
    }

    static LocalPostgres stopped(long tl, boolean wasStandby) {
        return new LocalPostgres(true, false, false, wasStandby, tl, new Lsn(100), null, null, false, null, SYSID, null,
                null, null, List.of(), java.util.Map.of(), false, null);
    }

    static LocalPostgres starting() {
        return new LocalPostgres(true, true, false, false, 1, null, null, null, false, null, SYSID, null, null, null,
                List.of(), java.util.Map.of(), false, null);
    }

    static Member member(String name, long tl, long lsn, Tags tags) {
        return new Member(name, "postgres://127.0.0.1:5432/postgres", "http://127.0.0.1:8008/patroni", io.vigil.cluster.MemberState.RUNNING,
                io.vigil.cluster.MemberRole.REPLICA, "0.1.0", lsn, null, null, tl, tags, null, null, null);
    }

    /** A member as a running primary publishes itself. */
    static Member lead(String name, long tl) {
        return new Member(name, "postgres://127.0.0.1:5432/postgres", "http://127.0.0.1:8008/patroni", io.vigil.cluster.MemberState.RUNNING,
                io.vigil.cluster.MemberRole.PRIMARY, "0.1.0", 100L, null, null, tl, Tags.NONE, null, null, null);
    }

    static Member member(String name, long tl) {
        return member(name, tl, 100, Tags.NONE);
    }

    static ClusterView view(String leader, long lastLeaderLsn, Member... members) {
        Map<String, Member> m = new LinkedHashMap<>();
        for (Member x : members) m.put(x.name(), x);
        return new ClusterView(Optional.of(SYSID), Optional.ofNullable(leader).map(l -> new LeaderKey(l, 1, 1)), m,
                SETTINGS, 1, lastLeaderLsn, List.of(), 0, Optional.empty(), 1,
                io.vigil.cluster.SyncState.NONE);
    }

    static ClusterView withFailover(ClusterView v, String leader, String candidate, String scheduledAt) {
        return new ClusterView(v.initialize(), v.leader(), v.members(), v.settings(), v.settingsRevision(), v.lastLeaderLsn(), v.history(),
                v.historyRevision(), Optional.of(new io.vigil.cluster.FailoverRequest(leader, candidate, scheduledAt)),
                v.revision(), v.sync());
    }

    /** The view as {@code status} leaves it after {@code leader} shut down cleanly at the view's last leader position. */
    static ClusterView withStoppedLeader(ClusterView v, String leader) {
        return new ClusterView(v.initialize(), v.leader(), v.members(), v.settings(), v.settingsRevision(), v.lastLeaderLsn(),
                v.history(), v.historyRevision(), v.failover(), v.revision(), v.sync(), leader);
    }

    /** The view with one timeline switch in its history: {@code timeline} ended at {@code lsn}. */
    static ClusterView withSwitch(ClusterView v, long timeline, long lsn) {
        return new ClusterView(v.initialize(), v.leader(), v.members(), v.settings(), v.settingsRevision(), v.lastLeaderLsn(),
                List.of(new io.vigil.cluster.TimelineSwitch(timeline, lsn, "no recovery target specified", null, "n1")),
                v.historyRevision(), v.failover(), v.revision(), v.sync());
    }

    static Observation obs(ClusterView view, LocalPostgres local) {
        return with(new Observation("me", Tags.NONE, SETTINGS, Optional.ofNullable(view), local, Map.of(), 100 * SEC,
                NOW_MILLIS, 0, Memory.START, null, Map.of(), java.util.Set.of(), false, null, null), w -> w.parametersStale = false);
    }

    /**
     * {@code m} as a running agent has it for {@code o}: synchronous_standby_names chosen and vigil.conf
     * written with {@code o}'s parameters (nothing stale), unless {@code stale}.
     */
    static Memory settled(Memory m, Observation o, boolean stale) {
        boolean leading = o.leaderUntilNanos() != 0 || o.cluster().map(v -> v.isLeader(o.self())).orElse(false);
        Memory named = m.withSyncStandbyNames(SyncRules.namesToWrite(o.settings(), o.self(), leading, o.cluster(),
                o.local(), null));
        return stale ? named.confWritten(Map.of("stale", "yes")) : named.confWritten(o.parameters());
    }

    /** A copy of an observation with some fields changed. */
    static final class With {
        Tags tags;
        Map<String, PeerStatus> peers;
        long leaderUntil;
        Long downSince;
        Long notStreamingSince;
        boolean rewindFailed;
        boolean unstartedClone;
        FailuresInARow cloneFailure;
        FailuresInARow bootstrapFailure;
        Map<String, Long> slotsSeen;
        ClusterSettings settings;
        NodeCommand command;
        boolean parametersStale;
        java.util.Set<String> syncConfirmed;
        boolean failsafeConfirmed;
        String failsafeLeader;
        Long leaderlessSince;
        Long failedAsPrimary;
        String watchdogProblem;
        java.util.Set<String> permanentSlots;

        With(Observation o) {
            permanentSlots = o.memory().permanentSlots();
            watchdogProblem = o.watchdogProblem();
            failedAsPrimary = o.failedAsPrimaryNanos();
            leaderlessSince = o.leaderlessSinceNanos();
            failsafeConfirmed = o.failsafeConfirmed();
            failsafeLeader = o.failsafeLeader();
            syncConfirmed = o.syncConfirmed();
            settings = o.settings();
            command = o.command();
            parametersStale = o.parametersStale();
            tags = o.tags();
            peers = o.peers();
            leaderUntil = o.leaderUntilNanos();
            downSince = o.downSinceNanos();
            notStreamingSince = o.notStreamingSinceNanos();
            rewindFailed = o.rewindFailed();
            unstartedClone = o.unstartedClone();
            cloneFailure = o.cloneFailure();
            bootstrapFailure = o.bootstrapFailure();
            slotsSeen = o.slotLastSeenNanos();
        }
    }

    static Observation with(Observation o, java.util.function.Consumer<With> change) {
        With w = new With(o);
        change.accept(w);
        Observation changed = new Observation(o.self(), w.tags, w.settings, o.cluster(), o.local(), w.peers, o.nowNanos(),
                o.nowEpochMillis(), w.leaderUntil, memory(w, o.cluster()), w.command, o.parameters(), w.syncConfirmed,
                w.failsafeConfirmed, w.failsafeLeader, w.watchdogProblem);
        return changed.withMemory(settled(changed.memory(), changed, w.parametersStale));
    }

    /** The memory earlier cycles would have left for these fields (failed rejoins and clones: of the current leader). */
    private static Memory memory(With w, Optional<ClusterView> view) {
        String leader = view.flatMap(ClusterView::leader).map(LeaderKey::name).orElse(null);
        FailedAttempts a = FailedAttempts.NONE;
        if (w.rewindFailed && leader != null) a = a.rewindFailed(leader);
        if (w.unstartedClone && leader != null) a = a.cloneDone(leader);
        if (w.cloneFailure != null) a = new FailedAttempts(a.rejoinFailures(), a.unstartedCloneOf(), w.cloneFailure, null, null);
        a = new FailedAttempts(a.rejoinFailures(), a.unstartedCloneOf(), a.cloneFailure(), w.bootstrapFailure, w.failedAsPrimary);
        return new Memory(w.downSince, w.notStreamingSince, w.leaderlessSince, w.slotsSeen, a, Map.of(), null, null,
                w.permanentSlots);
    }

    static Observation withPeers(Observation o, PeerStatus... peers) {
        Map<String, PeerStatus> m = new LinkedHashMap<>();
        for (PeerStatus p : peers) m.put(p.name(), p);
        return with(o, w -> w.peers = m);
    }

    static Observation withTags(Observation o, Tags tags) {
        return with(o, w -> w.tags = tags);
    }

    static Observation withLease(Observation o, long untilNanos) {
        return with(o, w -> w.leaderUntil = untilNanos);
    }

    /** Leading (a lease deadline ahead, unless one is set) without a writable primary since {@code nanos}. */
    static Observation downSince(Observation o, long nanos) {
        return with(o, w -> {
            w.downSince = nanos;
            if (w.leaderUntil == 0) w.leaderUntil = o.nowNanos() + 30 * SEC;
        });
    }

    static Observation notStreamingSince(Observation o, long nanos) {
        return with(o, w -> w.notStreamingSince = nanos);
    }

    static Observation leaderlessSince(Observation o, long nanos) {
        return with(o, w -> w.leaderlessSince = nanos);
    }

    static Observation watchdogProblem(Observation o, String problem) {
        return with(o, w -> w.watchdogProblem = problem);
    }

    static Observation rewindFailed(Observation o) {
        return with(o, w -> w.rewindFailed = true);
    }

    static Observation unstartedClone(Observation o) {
        return with(o, w -> w.unstartedClone = true);
    }

    static Observation cloneFailed(Observation o, FailuresInARow f) {
        return with(o, w -> w.cloneFailure = f);
    }

    static Observation slotsSeen(Observation o, Map<String, Long> seen) {
        return with(o, w -> w.slotsSeen = seen);
    }

    static List<Class<?>> types(Plan p) {
        return p.actions().stream().<Class<?>>map(Object::getClass).toList();
    }

    /** Physical slots by these names, none reserving WAL yet. */
    static Map<String, io.vigil.cluster.Lsn> slots(List<String> names) {
        Map<String, io.vigil.cluster.Lsn> m = new java.util.TreeMap<>();
        names.forEach(n -> m.put(n, new io.vigil.cluster.Lsn(0)));
        return m;
    }
}
