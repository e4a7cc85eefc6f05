package io.vigil.cluster;

import io.vigil.config.ClusterSettings;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One consistent read of everything under the cluster's prefix in etcd (a single range read, so
 * every field comes from the same revision).
 *
 * @param initialize   system identifier; "" while the first node bootstraps; empty when absent
 * @param leader       the current leader key, if any
 * @param members      member keys by name
 * @param settings     cluster-wide settings from the config key; null when not yet written or refused
 * @param settingsRevision mod revision of the config key (0 when absent), for compare-and-set edits
 * @param lastLeaderLsn last WAL position the leader published in {@code status}; 0 when unknown
 * @param history      timeline switches, oldest first
 * @param historyRevision mod revision of the history key (0 when absent), for compare-and-set
 * @param failover     a pending switchover or failover request, if any
 * @param revision     etcd revision of the read
 * @param sync         the sync key ({@link SyncState#NONE} when absent)
 * @param stoppedLeader the leader that shut its Postgres down cleanly at {@code lastLeaderLsn} and released
 *                     the key, as {@code status} records it until the next leader publishes; null otherwise
 * @param settingsProblem why the config key was refused (unreadable, or settings that break a rule, e.g.
 *                     written by another tool); null when it is absent or valid
 * @param slotPositions the leader's permanent physical slots, each with its restart_lsn, as it published them in
 *                     {@code status} (replicas advance their copies to these)
 */
public record ClusterView(
        Optional<String> initialize,
        Optional<LeaderKey> leader,
        Map<String, Member> members,
        ClusterSettings settings,
        long settingsRevision,
        long lastLeaderLsn,
        List<TimelineSwitch> history,
        long historyRevision,
        Optional<FailoverRequest> failover,
        long revision,
        SyncState sync,
        String stoppedLeader,
        String settingsProblem,
        Map<String, Long> slotPositions) {

    public ClusterView {
        slotPositions = slotPositions == null ? Map.of() : Map.copyOf(slotPositions);
    }

    public ClusterView(Optional<String> initialize, Optional<LeaderKey> leader, Map<String, Member> members,
            ClusterSettings settings, long settingsRevision, long lastLeaderLsn, List<TimelineSwitch> history,
            long historyRevision, Optional<FailoverRequest> failover, long revision, SyncState sync, String stoppedLeader,
            String settingsProblem) {
        this(initialize, leader, members, settings, settingsRevision, lastLeaderLsn, history, historyRevision, failover,
                revision, sync, stoppedLeader, settingsProblem, Map.of());
    }

    public ClusterView(Optional<String> initialize, Optional<LeaderKey> leader, Map<String, Member> members,
            ClusterSettings settings, long settingsRevision, long lastLeaderLsn, List<TimelineSwitch> history,
            long historyRevision, Optional<FailoverRequest> failover, long revision, SyncState sync, String stoppedLeader) {
        this(initialize, leader, members, settings, settingsRevision, lastLeaderLsn, history, historyRevision, failover,
                revision, sync, stoppedLeader, null);
    }

    public ClusterView(Optional<String> initialize, Optional<LeaderKey> leader, Map<String, Member> members,
            ClusterSettings settings, long settingsRevision, long lastLeaderLsn, List<TimelineSwitch> history,
            long historyRevision, Optional<FailoverRequest> failover, long revision, SyncState sync) {
        this(initialize, leader, members, settings, settingsRevision, lastLeaderLsn, history, historyRevision, failover,
                revision, sync, null, null);
    }

    public static ClusterView empty() {
        return new ClusterView(Optional.empty(), Optional.empty(), Map.of(), null, 0, 0, List.of(), 0, Optional.empty(), 0, SyncState.NONE);
    }

    public boolean isLeader(String name) {
        return leader.map(l -> l.name().equals(name)).orElse(false);
    }

    public Optional<Member> leaderMember() {
        return leader.map(l -> members.get(l.name()));
    }

    /** The leader's WAL position as its member key shows it, else the last one it published (0: unknown). */
    public long leaderPosition() {
        return leaderMember().map(Member::xlogLocation).orElse(lastLeaderLsn);
    }
}
