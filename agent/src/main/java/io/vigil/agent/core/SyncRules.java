package io.vigil.agent.core;

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
 * order that keeps every acknowledged commit on every member named in the {@code sync} key (so any
 * of them may promote):
 * <ol>
 *   <li>a member leaves the sync key before Postgres stops waiting for it;</li>
 *   <li>Postgres waits for every wanted standby (FIRST n of n) before any of them is named;</li>
 *   <li>a member is named only once confirmed: seen synchronous, then flushed past a WAL position
 *       written after that (so it also holds what was acknowledged before it was waited for);</li>
 *   <li>without strict mode, an empty key means asynchronous operation (any member within
 *       maximum_lag_on_failover may promote), published before Postgres stops waiting.</li>
 * </ol>
 * In strict mode an empty sync key means nobody but its leader may promote; with no healthy
 * standby, commits wait.
 */
public final class SyncRules {
    /** Written as synchronous_standby_names in strict mode when no standby is known: any one must confirm. */
    static final String ANY = "*";

    private SyncRules() {
    }

    /**
     * The steps that promote this node after {@code before}. In synchronous mode it first claims the sync
     * key naming nobody (compare-and-set, as Patroni does): the old key names members that will lack what
     * this node acknowledges alone once promoted. In strict mode commits then wait for any standby.
     */
    static List<Action> promotion(Observation o, ClusterView view, Action before, Action... after) {
        List<Action> steps = new ArrayList<>(List.of(before));
        ClusterSettings s = o.settings();
        if (s.synchronous()) steps.add(new Action.WriteSync(Set.of(), view.sync().modRevision()));
        steps.add(new Action.Promote(o.local().timeline(), o.local().walPosition().value()));
        if (s.synchronousModeStrict()) steps.add(new Action.SetSyncStandbys(List.of(ANY)));
        steps.addAll(List.of(after));
        return steps;
    }

    /**
     * synchronous_standby_names for vigil.conf ({@code written}: what it holds now; null: Vigil does
     * not set it). While leading, the leader's sync steps decide, and a restarted agent adopts what
     * its running primary has (else what the sync key names for it); otherwise the mode's default,
     * ready for a promotion: in strict mode a new primary's commits wait for any standby from the
     * first one.
     */
    static String namesToWrite(ClusterSettings s, String self, boolean leading, java.util.Optional<ClusterView> view,
                               LocalPostgres pg, String written) {
        if (!leading) return !s.synchronous() ? null : s.synchronousModeStrict() ? ANY : "";
        if (written != null || !s.synchronous()) return written;
        if (pg.syncStandbyNames() != null) return pg.syncStandbyNames();
        SyncState key = view.map(ClusterView::sync).orElse(SyncState.NONE);
        if (self.equals(key.leader()) && !key.members().isEmpty()) return format(List.copyOf(new TreeSet<>(key.members())));
        return s.synchronousModeStrict() ? ANY : "";
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
        if (wanted.isEmpty()) {
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
        Set<String> kept = new TreeSet<>(named);
        kept.retainAll(wanted);
        if (!kept.equals(named)) {
            return steady.plus("synchronous mode: dropping " + diff(named, wanted) + " from the sync key before"
                    + " Postgres stops waiting for them", new Action.WriteSync(kept, key.modRevision()));
        }
        if (!waitingFor.equals(wanted)) {
            return steady.plus("synchronous mode: Postgres now waits for " + wanted,
                    new Action.SetSyncStandbys(List.copyOf(new TreeSet<>(wanted))));
        }
        if (!named.equals(wanted)) {
            Set<String> unnamed = diff(wanted, named);
            if (o.syncConfirmed().containsAll(unnamed)) {
                return steady.plus("synchronous mode: " + unnamed + " confirmed; naming them in the sync key",
                        new Action.WriteSync(wanted, key.modRevision()));
            }
            return steady.plus("synchronous mode: waiting for " + diff(unnamed, o.syncConfirmed())
                    + " to confirm before naming them in the sync key");
        }
        return steady.plus(steady.reason() + "; synchronous standby " + String.join(",", new TreeSet<>(wanted)));
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
            if (m.tagsOrNone().noSync() || !m.mayPromote()) continue;
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
    public static Set<String> parse(String names, ClusterView view) {
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
    public static String format(List<String> members) {
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
