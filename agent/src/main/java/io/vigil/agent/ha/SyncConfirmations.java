package io.vigil.agent.ha;

import io.vigil.agent.pg.ReplicationWatch;
import io.vigil.cluster.Lsn;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which standbys that Postgres waits for have proved they hold every acknowledged commit. A standby
 * seen synchronous is given a mark, the primary's WAL write position at a later look, taken once the
 * change surely makes commits wait: at least {@link #SETTLE_NANOS} after the first sight, with the
 * checkpointer (which switches the waiting on) seen where it takes a reload at once. It is confirmed
 * when it has flushed past its mark. Only a confirmed standby may be named in the sync key. A new
 * synchronous_standby_names starts every standby over.
 */
final class SyncConfirmations {
    /** From the first synchronous sight to the mark: the checkpointer's reload of the same change. */
    static final long SETTLE_NANOS = 50_000_000L;

    private final Map<String, Long> firstSeen = new HashMap<>();
    private final Map<String, Lsn> marks = new HashMap<>();
    private String names;

    /** Takes one look; returns the members confirmed. {@code memberBySlot}: member names by application_name. */
    Set<String> update(ReplicationWatch.Look look, Map<String, String> memberBySlot, long nowNanos) {
        if (!Objects.equals(names, look.syncStandbyNames())) {
            reset();
            names = look.syncStandbyNames();
        }
        Set<String> confirmed = new TreeSet<>();
        Set<String> seen = new HashSet<>();
        for (ReplicationWatch.Standby s : look.standbys()) {
            String member = memberBySlot.get(s.applicationName());
            if (member == null || !("sync".equals(s.syncState()) || "quorum".equals(s.syncState()))) continue;
            seen.add(member);
            long first = firstSeen.computeIfAbsent(member, m -> nowNanos);
            Lsn mark = marks.get(member);
            if (mark == null) {
                if (look.checkpointerIdle() && nowNanos - first >= SETTLE_NANOS) marks.put(member, look.writeLsn());
            } else if (s.flushLsn() != null && s.flushLsn().compareTo(mark) >= 0) {
                confirmed.add(member);
            }
        }
        firstSeen.keySet().retainAll(seen);
        marks.keySet().retainAll(seen);
        return confirmed;
    }

    /** Forgets every sight and mark. */
    void reset() {
        firstSeen.clear();
        marks.clear();
        names = null;
    }
}
