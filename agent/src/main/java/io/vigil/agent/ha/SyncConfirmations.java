package io.vigil.agent.ha;

import io.vigil.agent.pg.LocalPostgres;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Lsn;
import io.vigil.config.AgentConfig;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which standbys Postgres treats as synchronous have proved it: each one seen so is given a mark, the
 * primary's WAL write position at that moment, and is confirmed once it has flushed past it. Only a
 * confirmed standby may be named in the sync key (it holds every commit acknowledged since).
 */
final class SyncConfirmations {
    /** Members seen synchronous, with the WAL position written when they were first seen so. */
    private final Map<String, Lsn> marks = new HashMap<>();

    /** The members confirmed in this look at a primary; a standby that stops being synchronous starts again. */
    Set<String> confirmed(Optional<ClusterView> view, LocalPostgres local) {
        if (!local.isRunningPrimary() || view.isEmpty()) {
            marks.clear();
            return Set.of();
        }
        Map<String, String> bySlot = new HashMap<>();
        view.get().members().keySet().forEach(m -> bySlot.put(AgentConfig.slotName(m), m));
        Set<String> confirmed = new TreeSet<>();
        Set<String> seen = new HashSet<>();
        for (LocalPostgres.ReplicationRow r : local.replication()) {
            String member = bySlot.get(r.applicationName());
            if (member == null || !("sync".equals(r.syncState()) || "quorum".equals(r.syncState()))) continue;
            seen.add(member);
            Lsn mark = marks.get(member);
            if (mark == null) {
                marks.put(member, local.writeLsn());
            } else if (r.flushLsn() != null && r.flushLsn().compareTo(mark) >= 0) {
                confirmed.add(member);
            }
        }
        marks.keySet().retainAll(seen);
        return confirmed;
    }
}
