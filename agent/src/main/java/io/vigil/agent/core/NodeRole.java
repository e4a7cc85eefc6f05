package io.vigil.agent.core;

import java.util.Map;
import java.util.Set;

/**
 * What this node is, as seen after each cycle, and the transitions between roles that the HA loop
 * is allowed to cause. A transition not in the table is logged as an error: it means something
 * outside the loop changed the node, or the loop has a bug.
 */
public enum NodeRole {
    /** No data directory yet. */
    UNINITIALIZED,
    /** Data present, Postgres not running. */
    STOPPED,
    /** Postgres running but not answering yet (starting, crash recovery). */
    STARTING,
    /** Running standby. */
    REPLICA,
    /** Running primary while holding the leader key. */
    PRIMARY,
    /** Running primary without the leader key: must demote or take the key back at once. */
    UNFENCED_PRIMARY;

    public static NodeRole of(LocalPostgres pg, boolean holdsKey) {
        if (!pg.hasData()) return UNINITIALIZED;
        if (!pg.running()) return STOPPED;
        if (!pg.accepting()) return STARTING;
        if (pg.inRecovery()) return REPLICA;
        return holdsKey ? PRIMARY : UNFENCED_PRIMARY;
    }

    /** Allowed transitions, each with the reason it happens. */
    static final Map<NodeRole, Map<NodeRole, String>> TRANSITIONS = Map.of(
            UNINITIALIZED, Map.of(
                    STARTING, "initdb or clone finished, Postgres starting",
                    PRIMARY, "bootstrapped the cluster",
                    REPLICA, "cloned from the leader",
                    STOPPED, "clone or initdb finished but start failed"),
            STOPPED, Map.of(
                    STARTING, "Postgres starting",
                    PRIMARY, "restarted in place as leader",
                    REPLICA, "started as a replica",
                    UNINITIALIZED, "data moved aside for a fresh clone",
                    UNFENCED_PRIMARY, "key lost while the primary was starting"),
            STARTING, Map.of(
                    PRIMARY, "recovery finished as leader",
                    REPLICA, "standby reached consistency",
                    STOPPED, "Postgres stopped while starting",
                    UNFENCED_PRIMARY, "key lost while the primary was starting"),
            REPLICA, Map.of(
                    PRIMARY, "promoted after winning the leader key",
                    STOPPED, "stopped (crash, rewind or demote)",
                    STARTING, "restarting",
                    UNINITIALIZED, "data moved aside for a fresh clone"),
            PRIMARY, Map.of(
                    STOPPED, "crashed, or demoted",
                    STARTING, "crashed and restarting",
                    REPLICA, "demoted and restarted as a replica",
                    UNFENCED_PRIMARY, "lost the leader key (expired or taken)"),
            UNFENCED_PRIMARY, Map.of(
                    PRIMARY, "took the leader key back",
                    STOPPED, "demoted",
                    REPLICA, "demoted and restarted as a replica",
                    STARTING, "demoted and restarting"));

    /** The reason for the move from this role to {@code next}, or null when it is not allowed. */
    public String transitionTo(NodeRole next) {
        return TRANSITIONS.getOrDefault(this, Map.of()).get(next);
    }

    static Set<NodeRole> reachable() {
        return TRANSITIONS.values().stream().flatMap(m -> m.keySet().stream())
                .collect(java.util.stream.Collectors.toSet());
    }
}
