package io.vigil.cluster;

import io.vigil.config.ClusterSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where one node's copy of a permanent slot stands: in place or not, and how many bytes its restart_lsn is
 * behind the leader's (null: unknown, the leader has not published the slot).
 */
public record SlotReadiness(String slot, boolean ready, Long lagBytes) {

    /**
     * Each permanent physical slot of {@code settings} on a node whose slots stand at {@code here}
     * (name to restart_lsn; null: none known), against the leader's published {@code positions}.
     */
    public static List<SlotReadiness> of(ClusterSettings settings, Map<String, Long> positions, Map<String, Long> here) {
        List<SlotReadiness> out = new ArrayList<>();
        if (settings == null) return out;
        for (String slot : settings.permanentPhysicalSlots()) {
            Long at = here == null ? null : here.get(slot);
            boolean ready = at != null && at > 0;
            Long leader = positions.get(slot);
            out.add(new SlotReadiness(slot, ready, ready && leader != null ? Math.max(0, leader - at) : null));
        }
        return out;
    }

    /** For a member as its key shows it. */
    public static List<SlotReadiness> of(ClusterView view, Member m) {
        return of(view.settings(), view.slotPositions(), m.permanentSlots());
    }
}
