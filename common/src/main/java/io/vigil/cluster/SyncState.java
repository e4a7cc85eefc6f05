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
 */
public record SyncState(String leader, Set<String> members, long modRevision) {
    public SyncState {
        members = Set.copyOf(members);
    }

    public static final SyncState NONE = new SyncState(null, Set.of(), 0);

    /** Patroni's form: {"leader": "pg1", "sync_standby": "pg2,pg3"}. */
    public static SyncState parse(String leader, String syncStandby, long modRevision) {
        Set<String> m = new TreeSet<>();
        if (syncStandby != null) {
            for (String s : syncStandby.split(",")) if (!s.isBlank()) m.add(s.strip());
        }
        return new SyncState(leader, m, modRevision);
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
            return "not the leader that wrote the sync key: " + leader + " ran without a synchronous standby, so"
                    + " only it holds every acknowledged commit (to promote another node anyway, switch"
                    + " synchronous_mode off and accept losing them)";
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
