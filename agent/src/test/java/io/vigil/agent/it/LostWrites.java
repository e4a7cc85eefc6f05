package io.vigil.agent.it;

import io.vigil.cluster.Lsn;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The asynchronous-mode check: an acknowledged commit may be missing from the primary only if a
 * failover forked its timeline before it, and then by at most {@code maximum_lag_on_failover}
 * bytes of WAL past that fork. Pure: fed the missing commits and the primary's timeline history.
 */
final class LostWrites {
    /** How far past its timeline's fork the furthest missing commit was written, and what broke the rule. */
    record Verdict(long bytesPastFork, List<String> violations) {
        boolean holds(long maxLagOnFailover) {
            return violations.isEmpty() && bytesPastFork <= maxLagOnFailover;
        }
    }

    private LostWrites() {
    }

    /**
     * Judges missing commits against the primary's timeline: {@code forks} maps each timeline in its
     * history to the position where it ended (a {@code .history} file, {@link #parseHistory}).
     * A commit whose insert began before the fork counts as 0 bytes past it: its commit record came after.
     */
    static Verdict judge(List<Writer.Ack> missing, Map<Long, Long> forks, long primaryTimeline) {
        long furthest = 0;
        List<String> violations = new ArrayList<>();
        for (Writer.Ack ack : missing) {
            Long fork = forks.get(ack.timeline());
            if (ack.timeline() == primaryTimeline) {
                violations.add("commit " + ack.id() + " is missing, though it was acknowledged on the primary's own timeline "
                        + primaryTimeline + " (at " + new Lsn(ack.lsn()) + "), which no failover forked");
            } else if (fork == null) {
                violations.add("commit " + ack.id() + " was acknowledged on timeline " + ack.timeline()
                        + ", which is not in the primary's history " + forks.keySet() + ": a whole timeline was dropped");
            } else {
                furthest = Math.max(furthest, new Lsn(ack.lsn()).bytesAfter(new Lsn(fork)));
            }
        }
        return new Verdict(furthest, violations);
    }

    /** A Postgres timeline history file ("1\t0/3000060\tno recovery target specified" per line): timeline → end. */
    static Map<Long, Long> parseHistory(String file) {
        Map<Long, Long> forks = new TreeMap<>();
        for (String line : file.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) continue;
            String[] fields = trimmed.split("\\s+", 3);
            if (fields.length < 2) throw new IllegalArgumentException("not a timeline history line: '" + line + "'");
            forks.put(Long.parseLong(fields[0]), Lsn.parse(fields[1]).value());
        }
        return forks;
    }
}
