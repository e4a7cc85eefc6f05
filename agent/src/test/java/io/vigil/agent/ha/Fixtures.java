package io.vigil.agent.ha;

import io.vigil.agent.pg.LocalPostgres;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.LeaderKey;
import io.vigil.cluster.Lsn;
import io.vigil.cluster.Member;
import io.vigil.cluster.Tags;
import io.vigil.config.ClusterSettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Builders for observations in decide tests. */
final class Fixtures {
    static final String SYSID = "7712507176855122452";
    static final ClusterSettings SETTINGS = new ClusterSettings(30, 10, 10, 1_048_576L, 1800, 30, null);
    static final long SEC = 1_000_000_000L;

    private Fixtures() {
    }

    static LocalPostgres primary(long tl, long lsn) {
        return new LocalPostgres(true, true, true, false, tl, new Lsn(lsn), null, null, false, null, SYSID, 150018,
                null, null, List.of(), List.of());
    }

    static LocalPostgres replica(long tl, long lsn, String upstream, boolean streaming) {
        return new LocalPostgres(true, true, true, true, tl, null, new Lsn(lsn), new Lsn(lsn), streaming, upstream,
                SYSID, 150018, null, 0L, List.of(), List.of());
    }

    static LocalPostgres stopped(long tl, boolean wasStandby) {
        return new LocalPostgres(true, false, false, wasStandby, tl, new Lsn(100), null, null, false, null, SYSID, null,
                null, null, List.of(), List.of());
    }

    static LocalPostgres starting() {
        return new LocalPostgres(true, true, false, false, 1, null, null, null, false, null, SYSID, null, null, null,
                List.of(), List.of());
    }

    static Member member(String name, long tl, long lsn, Tags tags) {
        return new Member(name, "postgres://127.0.0.1:5432/postgres", "http://127.0.0.1:8008/patroni", "running",
                "replica", "0.1.0", lsn, null, null, tl, tags);
    }

    static Member member(String name, long tl) {
        return member(name, tl, 100, Tags.NONE);
    }

    static ClusterView view(String leader, long lastLeaderLsn, Member... members) {
        Map<String, Member> m = new LinkedHashMap<>();
        for (Member x : members) m.put(x.name(), x);
        return new ClusterView(Optional.of(SYSID), Optional.ofNullable(leader).map(l -> new LeaderKey(l, 1, 1)), m,
                SETTINGS, lastLeaderLsn, List.of(), 0, 1);
    }

    static Observation obs(ClusterView view, LocalPostgres local) {
        return new Observation("me", Tags.NONE, SETTINGS, Optional.ofNullable(view), local, Map.of(), 100 * SEC, 0,
                null, false, Map.of());
    }

    static Observation withPeers(Observation o, PeerStatus... peers) {
        Map<String, PeerStatus> m = new LinkedHashMap<>();
        for (PeerStatus p : peers) m.put(p.name(), p);
        return new Observation(o.self(), o.tags(), o.settings(), o.cluster(), o.local(), m, o.nowNanos(),
                o.leaderUntilNanos(), o.downSinceNanos(), o.rewindFailed(), o.slotLastSeenNanos());
    }

    static Observation withTags(Observation o, Tags tags) {
        return new Observation(o.self(), tags, o.settings(), o.cluster(), o.local(), o.peers(), o.nowNanos(),
                o.leaderUntilNanos(), o.downSinceNanos(), o.rewindFailed(), o.slotLastSeenNanos());
    }

    static Observation withLease(Observation o, long untilNanos) {
        return new Observation(o.self(), o.tags(), o.settings(), o.cluster(), o.local(), o.peers(), o.nowNanos(),
                untilNanos, o.downSinceNanos(), o.rewindFailed(), o.slotLastSeenNanos());
    }

    static Observation downSince(Observation o, long nanos) {
        return new Observation(o.self(), o.tags(), o.settings(), o.cluster(), o.local(), o.peers(), o.nowNanos(),
                o.leaderUntilNanos(), nanos, o.rewindFailed(), o.slotLastSeenNanos());
    }

    static Observation rewindFailed(Observation o) {
        return new Observation(o.self(), o.tags(), o.settings(), o.cluster(), o.local(), o.peers(), o.nowNanos(),
                o.leaderUntilNanos(), o.downSinceNanos(), true, o.slotLastSeenNanos());
    }

    static Observation slotsSeen(Observation o, Map<String, Long> seen) {
        return new Observation(o.self(), o.tags(), o.settings(), o.cluster(), o.local(), o.peers(), o.nowNanos(),
                o.leaderUntilNanos(), o.downSinceNanos(), o.rewindFailed(), seen);
    }

    static List<Class<?>> types(Plan p) {
        return p.actions().stream().<Class<?>>map(Object::getClass).toList();
    }
}
