package io.vigil.agent.ha;

import io.vigil.agent.pg.LocalPostgres;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Member;
import io.vigil.cluster.SyncState;
import io.vigil.config.AgentConfig;
import io.vigil.config.ClusterSettings;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Synchronous mode, leader side: one step per cycle towards the wanted synchronous standbys, in the
 * order that keeps every acknowledged commit on a member named in the {@code sync} key:
 * <ol>
 *   <li>a member is added to the sync key before Postgres waits for it;</li>
 *   <li>Postgres's synchronous_standby_names lists only members of the sync key (all must confirm);</li>
 *   <li>a member leaves the sync key only after the members Postgres now waits for are confirmed
 *       (seen synchronous, then flushed past a position written after that);</li>
 *   <li>without strict mode, the leader publishes an empty sync key before it stops waiting.</li>
 * </ol>
 * In strict mode an empty sync key means nobody may promote, so from there a standby is waited for
 * first and named once confirmed (commits acknowledged under "*" may be on any standby).
 */
final class SyncRules {
    /** Written as synchronous_standby_names in strict mode when no standby is known: any one must confirm. */
    static final String ANY = "*";

    private SyncRules() {
    }

    /** The next sync step appended to the leader's steady plan, or the plan unchanged. */
    static Plan step(Observation o, ClusterView view, Plan steady) {
        ClusterSettings s = o.settings();
        LocalPostgres pg = o.local();
        SyncState key = view.sync();
        Set<String> waitingFor = parse(pg.syncStandbyNames(), view);
        boolean keyIsOurs = o.self().equals(key.leader());
        if (!s.synchronous()) {
            if (keyIsOurs && !key.members().isEmpty()) {
                return steady.plus("synchronous_mode is off: replicating asynchronously again",
                        new Action.SetSyncStandbys(null), new Action.WriteSync(Set.of(), key.modRevision()));
            }
            return steady;
        }
        if (!keyIsOurs) {
            return steady.plus("synchronous mode: taking over the sync key for this leader (no member named yet)",
                    new Action.WriteSync(Set.of(), key.modRevision()));
        }
        Set<String> wanted = wanted(o, view, waitingFor);
        Set<String> named = key.members();
        if (s.synchronousModeStrict() && named.isEmpty() && !wanted.isEmpty()) {
            // Nobody may promote while the key is empty in strict mode; commits acknowledged under "*" may be
            // on any standby, so a member is named only once it is confirmed to hold all of them.
            if (!waitingFor.equals(wanted)) {
                return steady.plus("synchronous_mode_strict: Postgres now waits for " + wanted,
                        new Action.SetSyncStandbys(List.copyOf(new TreeSet<>(wanted))));
            }
            if (o.syncConfirmed().containsAll(wanted)) {
                return steady.plus("synchronous_mode_strict: " + wanted + " confirmed; naming them in the sync key",
                        new Action.WriteSync(wanted, key.modRevision()));
            }
            return steady.plus("synchronous_mode_strict: waiting for " + wanted + " to confirm before naming them");
        }
        if (!named.containsAll(wanted)) {
            Set<String> union = new TreeSet<>(named);
            union.addAll(wanted);
            return steady.plus("synchronous mode: naming " + union + " in the sync key before Postgres waits for them",
                    new Action.WriteSync(union, key.modRevision()));
        }
        if (!wanted.isEmpty()) {
            if (!waitingFor.equals(wanted)) {
                return steady.plus("synchronous mode: Postgres now waits for " + wanted,
                        new Action.SetSyncStandbys(List.copyOf(new TreeSet<>(wanted))));
            }
            if (!named.equals(wanted)) {
                if (o.syncConfirmed().containsAll(wanted)) {
                    return steady.plus("synchronous mode: " + wanted + " confirmed; dropping " + diff(named, wanted)
                            + " from the sync key", new Action.WriteSync(wanted, key.modRevision()));
                }
                return steady.plus("synchronous mode: waiting for " + diff(wanted, o.syncConfirmed())
                        + " to confirm before dropping " + diff(named, wanted) + " from the sync key");
            }
            return steady.plus(steady.reason() + "; synchronous standby " + String.join(",", new TreeSet<>(wanted)));
        }
        if (s.synchronousModeStrict()) {
            if (waitingFor.isEmpty()) {
                return steady.plus("synchronous_mode_strict: no healthy standby; commits wait for any standby to"
                        + " confirm", new Action.SetSyncStandbys(List.of(ANY)));
            }
            return steady.plus("synchronous_mode_strict: no healthy standby to replace " + waitingFor
                    + "; commits wait");
        }
        if (!named.isEmpty()) {
            return steady.plus("synchronous mode: no healthy standby; publishing asynchronous operation first",
                    new Action.WriteSync(Set.of(), key.modRevision()));
        }
        if (!waitingFor.isEmpty()) {
            return steady.plus("synchronous mode: no healthy standby; replicating asynchronously",
                    new Action.SetSyncStandbys(List.of()));
        }
        return steady.plus(steady.reason() + "; no healthy synchronous standby, running asynchronously");
    }

    /**
     * Up to synchronous_node_count streaming members that may promote, not tagged nosync, within
     * maximum_lag_on_syncnode: another zone than ours first, then those already waited for, then
     * the least lag, then the name.
     */
    static Set<String> wanted(Observation o, ClusterView view, Set<String> waitingFor) {
        ClusterSettings s = o.settings();
        LocalPostgres pg = o.local();
        Map<String, Member> bySlot = view.members().values().stream()
                .collect(Collectors.toMap(m -> AgentConfig.slotName(m.name()), m -> m, (a, b) -> a));
        String ourZone = o.tags().zone();
        record Candidate(String name, boolean otherZone, boolean current, long lag) {
        }
        List<Candidate> candidates = new ArrayList<>();
        for (LocalPostgres.ReplicationRow r : pg.replication()) {
            Member m = bySlot.get(r.applicationName());
            if (m == null || m.name().equals(o.self()) || !"streaming".equals(r.state())) continue;
            if (m.tagsOrNone().noSync() || !m.tagsOrNone().mayPromote()) continue;
            long lag = r.flushLsn() == null || pg.writeLsn() == null ? Long.MAX_VALUE : pg.writeLsn().bytesAfter(r.flushLsn());
            if (s.maximumLagOnSyncnode() >= 0 && lag > s.maximumLagOnSyncnode()) continue;
            boolean otherZone = ourZone != null && m.tagsOrNone().zone() != null && !ourZone.equals(m.tagsOrNone().zone());
            candidates.add(new Candidate(m.name(), otherZone, waitingFor.contains(m.name()), lag));
        }
        return candidates.stream()
                .sorted(Comparator.comparing((Candidate c) -> !c.otherZone()).thenComparing(c -> !c.current())
                        .thenComparingLong(Candidate::lag).thenComparing(Candidate::name))
                .limit(s.synchronousNodeCount()).map(Candidate::name)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * Member names in synchronous_standby_names ("FIRST 2 (a, b)", "ANY 1 (a)", "a, b", "*");
     * names not matching a member's slot name are kept as written.
     */
    static Set<String> parse(String names, ClusterView view) {
        if (names == null || names.isBlank()) return Set.of();
        String list = names.strip();
        String upper = list.toUpperCase(Locale.ROOT);
        if (upper.startsWith("FIRST ") || upper.startsWith("ANY ") || Character.isDigit(list.charAt(0))) {
            int open = list.indexOf('(');
            int close = list.lastIndexOf(')');
            if (open >= 0 && close > open) list = list.substring(open + 1, close);
        }
        Set<String> out = new LinkedHashSet<>();
        for (String part : list.split(",")) {
            String n = part.strip().replace("\"", "");
            if (n.isEmpty()) continue;
            String member = view.members().keySet().stream().filter(m -> AgentConfig.slotName(m).equals(n))
                    .findFirst().orElse(n);
            out.add(member);
        }
        return out;
    }

    /** synchronous_standby_names for these members: every one must confirm (FIRST n of n). */
    static String format(List<String> members) {
        if (members == null) return null;
        if (members.isEmpty()) return "";
        if (members.equals(List.of(ANY))) return ANY;
        return "FIRST " + members.size() + " (" + members.stream().map(m -> "\"" + AgentConfig.slotName(m) + "\"")
                .collect(Collectors.joining(", ")) + ")";
    }

    private static Set<String> diff(Set<String> a, Set<String> b) {
        Set<String> d = new TreeSet<>(a);
        d.removeAll(b);
        return d;
    }
}
