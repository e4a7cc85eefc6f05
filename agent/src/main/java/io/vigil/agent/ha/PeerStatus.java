package io.vigil.agent.ha;

import io.vigil.cluster.Lsn;

/** A peer's own answer to GET /patroni, fetched during observe. {@code reachable=false} when it did not answer. */
public record PeerStatus(String name, boolean reachable, boolean running, boolean replica, long timeline, Lsn wal) {

    public static PeerStatus unreachable(String name) {
        return new PeerStatus(name, false, false, false, 0, null);
    }
}
