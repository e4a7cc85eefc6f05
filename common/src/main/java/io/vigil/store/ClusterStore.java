package io.vigil.store;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.FailoverRequest;
import io.vigil.cluster.Member;
import io.vigil.cluster.TimelineSwitch;
import io.vigil.config.ClusterSettings;

/**
 * The cluster's shared state in etcd, as domain operations. Every method either completes within
 * the store's call timeout or throws {@link StoreException}; none retries on its own.
 *
 * <p>Compare-and-set contract: methods returning {@code boolean} are single etcd transactions whose
 * compare decides the outcome; {@code false} means the compare failed and nothing was written.
 * There is no read-then-write anywhere.
 */
public interface ClusterStore extends AutoCloseable {

    /** One linearizable range read of the whole cluster prefix. */
    ClusterView read();

    /**
     * The same store on the same connection, whose calls give up after {@code timeout} (a quick
     * retry beats one long wait on a connection that stalled). Closing it leaves the connection open.
     */
    ClusterStore withCallTimeout(java.time.Duration timeout);

    /** Grants a new lease of {@code ttlSeconds}; returns its id. */
    long grantLease(long ttlSeconds);

    /** One keep-alive of the lease. {@code false} when etcd says the lease no longer exists. */
    boolean refreshLease(long leaseId);

    /** Revokes the lease, deleting every key bound to it. */
    void revokeLease(long leaseId);

    /** Creates the leader key with {@code name} on {@code leaseId} only if it does not exist. */
    boolean acquireLeader(String name, long leaseId);

    /**
     * Confirms the leader key still holds {@code name}, and binds it to {@code leaseId} if it is on
     * another lease (an agent restarted while its Postgres kept running). Compare-on-value.
     */
    boolean renewLeader(String name, long leaseId);

    /**
     * Synchronous mode's fast takeover, one transaction: only if the leader key still holds
     * {@code oldLeader} at {@code leaderModRevision} and the sync key is still at
     * {@code syncModRevision}, writes {@code name} as leader on {@code leaseId} and the sync key naming
     * nobody under {@code name} (so the old leader's next sync key write fails).
     */
    boolean takeOverLeader(String name, long leaseId, String oldLeader, long leaderModRevision, long syncModRevision);

    /** Deletes the leader key only if it holds {@code name}. */
    boolean releaseLeader(String name);

    /**
     * Bootstrap race: creates {@code initialize} (empty) and the leader key for {@code name} in one
     * transaction, only if neither exists.
     */
    boolean claimInitialize(String name, long leaseId);

    /** Records the new cluster's system identifier; only if initialize is still empty. */
    boolean completeInitialize(String systemId);

    /** Gives up a failed bootstrap: deletes initialize only if it is still empty. */
    boolean abandonInitialize();

    /** Publishes this member's key, bound to its lease. */
    void putMember(Member member, long leaseId);

    /** Publishes the leader's last WAL position and its permanent slots' positions (Patroni's {@code status}). */
    void putStatus(long lsn, java.util.Map<String, Long> slots);

    /** Publishes the final WAL position of a leader that shut Postgres down cleanly, and its name. */
    void putStoppedLeaderStatus(long lsn, String leader);

    /** Writes the cluster-wide settings only if none are stored yet. */
    boolean initializeSettings(ClusterSettings settings);

    /**
     * Writes the sync key (leader, synchronous members) only if its mod revision is still
     * {@code expectedModRevision} (0: only if absent). With no members it also records since when.
     */
    boolean writeSync(String leader, java.util.Set<String> members, long expectedModRevision);

    /** The raw config key and its mod revision, for a compare-and-set edit; revision 0 when absent. */
    StoredSettings readSettings();

    /** Replaces the config key only if its mod revision is still {@code expectedModRevision}. */
    boolean replaceSettings(String json, long expectedModRevision);

    /** Raw text of the config key and the etcd mod revision it was read at. */
    record StoredSettings(String json, long modRevision) {
    }

    /** Appends a timeline switch; only if history is unchanged since {@code expectedModRevision}. */
    boolean appendHistory(TimelineSwitch entry, ClusterView seen);

    /**
     * Writes a switchover/failover request, only if none is pending, on a lease of
     * {@code ttlSeconds} so that an abandoned request expires by itself (0: no lease, for scheduled ones).
     */
    boolean requestFailover(FailoverRequest request, long ttlSeconds);

    /** Deletes the pending request (done or given up). */
    void clearFailover();

    /** Calls {@code onChange} whenever the leader or the failover key is written or deleted. */
    AutoCloseable watchLeader(Runnable onChange);

    @Override
    void close();
}
