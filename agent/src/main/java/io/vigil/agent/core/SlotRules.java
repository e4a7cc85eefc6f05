package io.vigil.agent.core;

import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Lsn;
import io.vigil.config.AgentConfig;
import io.vigil.config.ClusterSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which physical replication slots a node keeps: the leader, one for each member (kept member_slots_ttl
 * after it was last seen) and the permanent slots of the config's {@code slots:}; a replica that may
 * take over, the permanent slots, advanced to where the leader publishes them. A node drops only the
 * slots it manages (members' and former permanent ones) and never one that ignore_slots names.
 */
final class SlotRules {
    private SlotRules() {
    }

    /** The leader's slot maintenance, and its publication of the permanent slots' positions when they moved. */
    static List<Action> leader(Observation o, ClusterView view) {
        LocalPostgres pg = o.local();
        List<Action> actions = new ArrayList<>();
        long position = pg.walPosition().value();
        Map<String, Long> positions = permanentPositions(o, permanent(o, view));
        if (position != view.lastLeaderLsn() || !positions.equals(view.slotPositions())) {
            actions.add(new Action.PublishLeaderPosition(position, positions));
        }
        Set<String> wanted = memberSlots(o, view);
        wanted.addAll(permanent(o, view));
        Action.SyncSlots slots = new Action.SyncSlots(wanted, managed(o, view));
        if (slots.changes(pg.slots().keySet())) actions.add(slots);
        return actions;
    }

    /**
     * A streaming replica's slot maintenance: it creates the permanent slots when it may take over, drops
     * the slots it manages and no longer wants (a former primary's), and advances its copies of the
     * permanent slots to the leader's published positions.
     */
    static List<Action> replica(Observation o, ClusterView view) {
        LocalPostgres pg = o.local();
        Set<String> wanted = o.tags().mayPromote() ? permanent(o, view) : new TreeSet<>();
        List<Action> actions = new ArrayList<>();
        Action.SyncSlots slots = new Action.SyncSlots(wanted, managed(o, view));
        if (slots.changes(pg.slots().keySet())) actions.add(slots);
        Map<String, Long> advance = new TreeMap<>();
        view.slotPositions().forEach((slot, lsn) -> {
            Lsn here = pg.slots().get(slot);
            if (wanted.contains(slot) && here != null && lsn > here.value()) advance.put(slot, lsn);
        });
        if (!advance.isEmpty()) actions.add(new Action.AdvanceSlots(advance));
        return actions;
    }

    /** The permanent physical slots this node keeps: those of the config not named like a member's slot. */
    static Set<String> permanent(Observation o, ClusterView view) {
        Set<String> out = new TreeSet<>(o.settings().permanentPhysicalSlots());
        view.members().keySet().forEach(m -> out.remove(AgentConfig.slotName(m)));
        return out;
    }

    /** The slots this node may drop: every member's it has seen and every former permanent one, not ignored. */
    static Set<String> managed(Observation o, ClusterView view) {
        Set<String> managed = new TreeSet<>();
        view.members().keySet().forEach(m -> managed.add(AgentConfig.slotName(m)));
        o.slotLastSeenNanos().keySet().forEach(m -> managed.add(AgentConfig.slotName(m)));
        managed.addAll(o.memory().permanentSlots());
        managed.remove(AgentConfig.slotName(o.self()));
        ClusterSettings s = o.settings();
        managed.removeIf(s::ignoresPhysical);
        return managed;
    }

    /**
     * Slots for every member that streams (not tagged nostream) and for every member gone less than
     * member_slots_ttl ago, except ourselves; none without use_slots.
     */
    static Set<String> memberSlots(Observation o, ClusterView view) {
        Set<String> wanted = new TreeSet<>();
        if (!o.settings().postgresql().useSlots()) return wanted;
        long ttlNanos = o.settings().memberSlotsTtl() * 1_000_000_000L;
        view.members().forEach((m, member) -> {
            // a nostream member replays from the archive: a slot for it would hold WAL forever
            if (!m.equals(o.self()) && !member.tagsOrNone().noStream()) wanted.add(AgentConfig.slotName(m));
        });
        o.slotLastSeenNanos().forEach((member, seen) -> {
            boolean gone = !view.members().containsKey(member);
            if (gone && !member.equals(o.self()) && o.nowNanos() - seen < ttlNanos) wanted.add(AgentConfig.slotName(member));
        });
        return wanted;
    }

    /** The leader's permanent physical slots present, each with its restart_lsn. */
    private static Map<String, Long> permanentPositions(Observation o, Set<String> permanent) {
        Map<String, Long> out = new TreeMap<>();
        o.local().slots().forEach((slot, lsn) -> {
            if (permanent.contains(slot) && lsn.value() > 0) out.put(slot, lsn.value());
        });
        return out;
    }
}
