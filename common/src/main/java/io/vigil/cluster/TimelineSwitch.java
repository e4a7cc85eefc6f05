package io.vigil.cluster;

/**
 * One entry of the cluster's timeline history: the timeline that ended, the LSN where it ended,
 * when, and who became leader. Stored in etcd as Patroni's array form
 * {@code [timeline, lsn, reason, time, new_leader]}.
 */
public record TimelineSwitch(long timeline, long lsn, String reason, String time, String newLeader) {
}
