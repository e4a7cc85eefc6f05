package io.vigil.cluster;

/** The leader key as read: holder name, the lease it is bound to, and its mod revision. */
public record LeaderKey(String name, long leaseId, long modRevision) {
}
