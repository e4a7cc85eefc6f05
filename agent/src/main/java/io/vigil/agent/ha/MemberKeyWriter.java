package io.vigil.agent.ha;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Member;
import io.vigil.store.ClusterStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's member key and the ttl lease it lives on: one keep-alive per cycle (a new lease when it
 * is gone or ttl changed), and a write only when the key's content or its lease changed.
 */
final class MemberKeyWriter {
    private static final Logger log = LoggerFactory.getLogger(MemberKeyWriter.class);

    private final ClusterStore store;
    private long leaseId;
    private long leaseTtlSeconds;
    private long publishedOnLease;
    private boolean published;

    MemberKeyWriter(ClusterStore store) {
        this.store = store;
    }

    /** Keeps our member lease alive, granting a new one if it is gone or {@code ttlSeconds} changed. */
    void keepAlive(int ttlSeconds) {
        if (leaseId != 0 && leaseTtlSeconds != ttlSeconds) {
            // The old lease is left to expire: the leader key moves at the next renewal, members at the next publish.
            log.info("ttl changed from {} s to {} s: moving to a new etcd lease", leaseTtlSeconds, ttlSeconds);
            leaseId = 0;
        }
        if (leaseId != 0) {
            if (store.refreshLease(leaseId)) return;
            log.warn("our member lease {} expired; granting a new one", Long.toHexString(leaseId));
        }
        leaseTtlSeconds = ttlSeconds;
        leaseId = store.grantLease(ttlSeconds);
    }

    /** Writes {@code me} unless {@code view} already holds it, on the same lease: no write, no new revision. */
    void publish(Member me, ClusterView view) {
        if (leaseId != publishedOnLease || !me.equals(view.members().get(me.name()))) {
            store.putMember(me, leaseId);
            publishedOnLease = leaseId;
        }
        published = true;
    }

    /** Whether the key was written (or found current) since the agent started. */
    boolean published() {
        return published;
    }

    /** Clean shutdown: the member key goes with its lease. */
    void revoke() {
        if (leaseId != 0) store.revokeLease(leaseId);
    }
}
