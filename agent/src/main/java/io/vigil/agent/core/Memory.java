package io.vigil.agent.core;

import io.vigil.cluster.ClusterView;
import java.util.HashMap;
import java.util.Map;

/**
 * Everything one HA cycle hands to the next, as one immutable value (stolon's
 * {@code updateCluster(cd) → newcd}): {@link Decider} takes the last one with each observation and
 * returns the next; the loop keeps the reference and records in it what acting learned
 * ({@link #attempts}).
 *
 * @param downSinceNanos    when we were first seen leading without a writable primary, not paused
 *                          (primary_start_timeout counts from it); null: we run as primary or do not lead
 * @param notStreamingSinceNanos when our running replica was first seen not streaming while another node
 *                          leads as a running primary, its replay not moving; null: streaming, replaying
 *                          (from the archive, say), no running leader, or not a running replica
 * @param leaderlessSinceNanos when this agent first saw no leader key in the current leaderless
 *                          spell; null: a leader is known (or etcd was never read)
 * @param slotLastSeenNanos when each member was last seen in etcd (its slot is kept member_slots_ttl)
 * @param attempts          what failed in earlier cycles
 * @param unreachableSeenNanos when this agent first saw each member's key say the current leader is
 *                          unreachable (fast takeover counts from these sightings, on our own clock)
 * @param syncStandbyNames  synchronous_standby_names that vigil.conf carries, or carries from its next
 *                          rewrite (null: Vigil does not set it)
 * @param appliedParameters the Postgres parameters last written to vigil.conf, synchronous_standby_names
 *                          included (null: none since the agent started)
 * @param permanentSlots    every permanent physical slot seen in the config while the agent runs: one
 *                          removed from the config is dropped (unless ignore_slots names it)
 * @param lastReplayLsn     our running replica's replay position at the last look (null: not a running replica)
 */
public record Memory(Long downSinceNanos, Long notStreamingSinceNanos, Long leaderlessSinceNanos,
              Map<String, Long> slotLastSeenNanos, FailedAttempts attempts, Map<String, Long> unreachableSeenNanos,
              String syncStandbyNames, Map<String, Object> appliedParameters, java.util.Set<String> permanentSlots,
              Long lastReplayLsn) {

    public static final Memory START = new Memory(null, null, null, Map.of(), FailedAttempts.NONE, Map.of(), null, null);

    public Memory {
        slotLastSeenNanos = Map.copyOf(slotLastSeenNanos);
        unreachableSeenNanos = Map.copyOf(unreachableSeenNanos);
        if (appliedParameters != null) appliedParameters = java.util.Collections.unmodifiableMap(
                new java.util.LinkedHashMap<>(appliedParameters));
        permanentSlots = permanentSlots == null ? java.util.Set.of() : java.util.Set.copyOf(permanentSlots);
    }

    /** No replay position seen yet. */
    public Memory(Long downSinceNanos, Long notStreamingSinceNanos, Long leaderlessSinceNanos,
                  Map<String, Long> slotLastSeenNanos, FailedAttempts attempts, Map<String, Long> unreachableSeenNanos,
                  String syncStandbyNames, Map<String, Object> appliedParameters, java.util.Set<String> permanentSlots) {
        this(downSinceNanos, notStreamingSinceNanos, leaderlessSinceNanos, slotLastSeenNanos, attempts,
                unreachableSeenNanos, syncStandbyNames, appliedParameters, permanentSlots, null);
    }

    /** No permanent slots seen yet. */
    public Memory(Long downSinceNanos, Long notStreamingSinceNanos, Long leaderlessSinceNanos,
                  Map<String, Long> slotLastSeenNanos, FailedAttempts attempts, Map<String, Long> unreachableSeenNanos,
                  String syncStandbyNames, Map<String, Object> appliedParameters) {
        this(downSinceNanos, notStreamingSinceNanos, leaderlessSinceNanos, slotLastSeenNanos, attempts,
                unreachableSeenNanos, syncStandbyNames, appliedParameters, null);
    }

    /** Without sightings of members' evidence about the leader, nothing written to vigil.conf yet. */
    public Memory(Long downSinceNanos, Long notStreamingSinceNanos, Long leaderlessSinceNanos,
                  Map<String, Long> slotLastSeenNanos, FailedAttempts attempts) {
        this(downSinceNanos, notStreamingSinceNanos, leaderlessSinceNanos, slotLastSeenNanos, attempts, Map.of());
    }

    /** Nothing written to vigil.conf yet. */
    public Memory(Long downSinceNanos, Long notStreamingSinceNanos, Long leaderlessSinceNanos,
                  Map<String, Long> slotLastSeenNanos, FailedAttempts attempts, Map<String, Long> unreachableSeenNanos) {
        this(downSinceNanos, notStreamingSinceNanos, leaderlessSinceNanos, slotLastSeenNanos, attempts,
                unreachableSeenNanos, null, null);
    }

    /** This memory after a look at the cluster and the local Postgres: the timers and last-seen times move on. */
    public Memory after(Observation o) {
        LocalPostgres pg = o.local();
        long now = o.nowNanos();
        boolean leading = o.leaderUntilNanos() != 0;
        // primary_start_timeout counts while we lead without a writable primary (down, starting, or a standby
        // whose promotion keeps failing), from when the agent may act again, not during a pause
        Long down = leading && pg.hasData() && !pg.isRunningPrimary() && !o.settings().paused()
                ? since(downSinceNanos, now) : null;
        Long replay = pg.isRunningReplica() && pg.replayLsn() != null ? pg.replayLsn().value() : null;
        boolean replaying = replay != null && lastReplayLsn != null && replay > lastReplayLsn;
        boolean otherLeaderRuns = o.cluster().flatMap(ClusterView::leaderMember)
                .map(m -> m.isRunningPrimary() && !m.name().equals(o.self())).orElse(false);
        Long notStreaming = pg.isRunningReplica() && !pg.streaming() && otherLeaderRuns && !replaying
                ? since(notStreamingSinceNanos, now) : null;
        Long leaderless = leaderlessSinceNanos;
        Map<String, Long> seen = slotLastSeenNanos;
        Map<String, Long> unreachable = unreachableSeenNanos;
        if (o.cluster().isPresent()) {
            ClusterView v = o.cluster().get();
            leaderless = v.leader().isPresent() ? null : since(leaderlessSinceNanos, now);
            Map<String, Long> m = new HashMap<>(slotLastSeenNanos);
            v.members().keySet().forEach(name -> m.put(name, now));
            seen = m;
            unreachable = unreachableSightings(v, now);
        }
        FailedAttempts a = pg.isRunningReplica() ? attempts.runningAsReplica() : attempts;
        boolean leadingNow = leading || o.cluster().map(v -> v.isLeader(o.self())).orElse(false);
        String names = SyncRules.namesToWrite(o.settings(), o.self(), leadingNow, o.cluster(), pg, syncStandbyNames);
        java.util.Set<String> permanent = new java.util.TreeSet<>(permanentSlots);
        permanent.addAll(o.settings().permanentPhysicalSlots());
        return new Memory(down, notStreaming, leaderless, seen, a, unreachable, names, appliedParameters, permanent, replay);
    }

    /** What vigil.conf carries with {@code parameters} written now: them, and our synchronous_standby_names. */
    public Map<String, Object> withSyncNames(Map<String, Object> parameters) {
        Map<String, Object> p = new java.util.LinkedHashMap<>(parameters);
        if (syncStandbyNames != null) p.put("synchronous_standby_names", syncStandbyNames);
        return p;
    }

    /** True when vigil.conf, written now with {@code parameters}, would differ from what was last written. */
    public boolean parametersStale(Map<String, Object> parameters) {
        return !withSyncNames(parameters).equals(appliedParameters);
    }

    /** Members whose key says the current leader is unreachable, each with when we first saw it say so. */
    private Map<String, Long> unreachableSightings(ClusterView v, long now) {
        String leader = v.leader().map(io.vigil.cluster.LeaderKey::name).orElse(null);
        if (leader == null) return Map.of();
        Map<String, Long> m = new HashMap<>();
        v.members().values().stream().filter(x -> x.seesUnreachable(leader))
                .forEach(x -> m.put(x.name(), since(unreachableSeenNanos.get(x.name()), now)));
        return m;
    }

    public Memory withAttempts(FailedAttempts a) {
        return new Memory(downSinceNanos, notStreamingSinceNanos, leaderlessSinceNanos, slotLastSeenNanos, a,
                unreachableSeenNanos, syncStandbyNames, appliedParameters, permanentSlots, lastReplayLsn);
    }

    /** synchronous_standby_names was set to {@code names} (null: Vigil no longer sets it). */
    public Memory withSyncStandbyNames(String names) {
        return new Memory(downSinceNanos, notStreamingSinceNanos, leaderlessSinceNanos, slotLastSeenNanos, attempts,
                unreachableSeenNanos, names, appliedParameters, permanentSlots, lastReplayLsn);
    }

    /** vigil.conf was written with {@code parameters} and our synchronous_standby_names. */
    public Memory confWritten(Map<String, Object> parameters) {
        return new Memory(downSinceNanos, notStreamingSinceNanos, leaderlessSinceNanos, slotLastSeenNanos, attempts,
                unreachableSeenNanos, syncStandbyNames, withSyncNames(parameters), permanentSlots, lastReplayLsn);
    }

    private static Long since(Long started, long now) {
        return started != null ? started : now;
    }
}
