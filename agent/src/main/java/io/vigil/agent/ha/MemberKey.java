package io.vigil.agent.ha;

import io.vigil.agent.core.LocalPostgres;
import io.vigil.cluster.Member;
import io.vigil.cluster.MemberRole;
import io.vigil.cluster.MemberState;
import io.vigil.config.Tags;
import io.vigil.config.AgentConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** What this node publishes about itself in {@code members/<name>}, and which of its own settings need a restart. */
final class MemberKey {
    private MemberKey() {
    }

    /**
     * The member key for this node's Postgres as {@code local} shows it, with the pause this member
     * saw, the restart scheduled on it (null: none) and where its copies of the {@code permanent} slots stand.
     */
    static Member of(AgentConfig cfg, Tags tags, LocalPostgres local, boolean leader, boolean watchdogFailed,
                     Map<String, String> refusedParameters, Member.LeaderUnreachable leaderUnreachable, boolean paused,
                     ScheduledRestart scheduled, java.util.Set<String> permanent) {
        MemberState state;
        if (!local.hasData()) state = MemberState.UNINITIALIZED;
        else if (!local.running()) state = MemberState.STOPPED;
        else if (!local.accepting()) state = MemberState.STARTING;
        else if (local.inRecovery() && local.streaming()) state = MemberState.STREAMING;
        else state = MemberState.RUNNING;
        MemberRole role = !local.running() || !local.accepting() ? MemberRole.UNINITIALIZED
                : local.inRecovery() ? MemberRole.REPLICA : (leader ? MemberRole.PRIMARY : MemberRole.DEMOTING);
        return new Member(cfg.name(), cfg.connUrl(), cfg.apiUrl(), state, role, HaLoop.VERSION,
                local.walPosition() == null ? null : local.walPosition().value(),
                local.receiveLsn() == null ? null : local.receiveLsn().value(),
                local.replayLsn() == null ? null : local.replayLsn().value(),
                local.timeline() == 0 ? null : local.timeline(), tags,
                local.isRunningReplica() ? local.upstream() : null, local.pendingRestart() ? Boolean.TRUE : null,
                watchdogFailed ? Boolean.TRUE : null, refusedParameters, leaderUnreachable, paused ? Boolean.TRUE : null,
                scheduled == null ? null : new Member.ScheduledRestart(scheduled.at().toString(), null),
                permanentSlots(local, permanent));
    }

    /** The permanent slots in place here, each with its restart_lsn; null when there are none to keep. */
    private static Map<String, Long> permanentSlots(LocalPostgres local, java.util.Set<String> permanent) {
        if (permanent.isEmpty() || !local.running()) return null;
        Map<String, Long> out = new java.util.TreeMap<>();
        local.slots().forEach((slot, lsn) -> {
            if (permanent.contains(slot)) out.put(slot, lsn.value());
        });
        return out;
    }

    /** The node-config keys (snake_case) that differ between {@code before} and {@code fresh}, besides what a reload applies. */
    static List<String> keysNeedingRestart(AgentConfig before, AgentConfig fresh) {
        List<String> keys = new ArrayList<>();
        for (java.lang.reflect.RecordComponent c : AgentConfig.class.getRecordComponents()) {
            String key = c.getName();
            if (key.equals("tags") || key.equals("localParameters") || key.equals("callbacks")) continue;
            try {
                if (!Objects.equals(c.getAccessor().invoke(before), c.getAccessor().invoke(fresh))) {
                    keys.add(key.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase());
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return keys;
    }
}
