package io.vigil.cluster;

/**
 * A peer's own answer to GET /patroni, fetched during observe. {@code reachable=false} when it did not answer.
 *
 * @param running    its Postgres runs and answers queries
 * @param starting   its Postgres has data but does not answer yet (stopped or starting up)
 * @param checkpoint while starting: the furthest WAL position its data directory is known to hold
 *                   (pg_controldata), a lower bound of what it will report once it answers; else null
 */
public record PeerStatus(String name, boolean reachable, boolean running, boolean replica, long timeline, Lsn wal,
                         boolean starting, Lsn checkpoint) {

    public PeerStatus(String name, boolean reachable, boolean running, boolean replica, long timeline, Lsn wal) {
        this(name, reachable, running, replica, timeline, wal, false, null);
    }

    public static PeerStatus unreachable(String name) {
        return new PeerStatus(name, false, false, false, 0, null);
    }
}
