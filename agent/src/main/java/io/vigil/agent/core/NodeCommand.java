package io.vigil.agent.core;

/**
 * An operator's command for this node (REST POST /restart, /reinitialize, /reload). The loop hands
 * it to {@link Decider} inside one {@link Observation}; the plan carries it out or says why not.
 */
public sealed interface NodeCommand {

    /** The action that carries the command out. */
    Class<? extends Action> carriedBy();

    /**
     * Restart Postgres in place (a primary keeps the leader key).
     *
     * @param role          only if this node has that role ("primary" or "replica"); null: any
     * @param onlyIfPending only if a changed parameter waits for a restart
     */
    record Restart(String role, boolean onlyIfPending) implements NodeCommand {
        public Class<? extends Action> carriedBy() {
            return Action.RestartPostgres.class;
        }
    }

    /** Throw this replica's data away (kept beside it) and clone afresh from the leader. */
    record Reinitialize() implements NodeCommand {
        public Class<? extends Action> carriedBy() {
            return Action.Reclone.class;
        }
    }

    /** Rewrite Postgres's managed settings and reload them (the node config was re-read). */
    record Reload() implements NodeCommand {
        public Class<? extends Action> carriedBy() {
            return Action.ReloadPostgres.class;
        }
    }
}
