package io.vigil.cluster;

import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code sync} key: the leader and the members Postgres may be waiting for. Every commit the
 * leader acknowledged is on at least one of {@code members}; in synchronous mode only they may
 * promote. Empty {@code members}: the leader runs asynchronously (and said so first), and only it
 * may promote.
 *
 * @param modRevision etcd mod revision of the key, for compare-and-set (0: absent)
 * @param noStandbySince when {@code members} is empty: when the leader wrote so (ISO-8601), or null
 */
public record SyncState(String leader, Set<String> members, long modRevision, String noStandbySince) {
    public SyncState {
        members = Set.copyOf(members);
        if (!members.isEmpty()) noStandbySince = null;
    }

    public SyncState(String leader, Set<String> members, long modRevision) {
        this(leader, members, modRevision, null);
    }

    public static final SyncState NONE = new SyncState(null, Set.of(), 0);

    /** Patroni's form: {"leader": "pg1", "sync_standby": "pg2,pg3"}, and Vigil's "no_sync_standby_since". */
    public static SyncState parse(String leader, String syncStandby, long modRevision, String noStandbySince) {
        Set<String> m = new TreeSet<>();
        if (syncStandby != null) {
            for (String s : syncStandby.split(",")) if (!s.isBlank()) m.add(s.strip());
        }
        return new SyncState(leader, m, modRevision, noStandbySince);
    }

    public static SyncState parse(String leader, String syncStandby, long modRevision) {
        return parse(leader, syncStandby, modRevision, null);
    }

    /** In synchronous mode, a leader that runs without a synchronous standby: only it may promote. */
    public boolean leaderRunsAlone() {
        return leader != null && members.isEmpty();
    }

    public String syncStandbyText() {
        return members.isEmpty() ? null : String.join(",", new TreeSet<>(members));
    }

    /**
     * Why {@code member} may not promote by this key in synchronous mode, or null when it may. It
     * must be named, or be the leader that wrote the key (it holds every commit it acknowledged).
     * A key naming nobody means its leader ran asynchronously, alone with commits no standby may
     * have: only that leader may promote (Patroni's rule). No key yet: no restriction.
     */
    public String promotionBlocker(io.vigil.config.ClusterSettings s, String member) {
        if (!s.synchronous() || leader == null || member.equals(leader)) return null;
        if (members.isEmpty()) {
            return "not the leader that wrote the sync key: " + leader + " ran without a synchronous standby"
                    + (noStandbySince == null ? "" : " since " + noStandbySince) + ", so only it holds every"
                    + " acknowledged commit (to promote another node anyway, switch synchronous_mode off and accept"
                    + " losing them)";
        }
        return names(member) ? null : "not a synchronous standby (the sync key names " + String.join(",", members) + ")";
    }

    public boolean names(String member) {
        return members.contains(member);
    }

    /** {@code member} is a synchronous standby in effect: named here while synchronous_mode is on. */
    public boolean namesInSynchronousMode(io.vigil.config.ClusterSettings s, String member) {
        return s.synchronous() && names(member);
    }
}
