package io.vigil.agent.core;

/** How the loop answered a {@link NodeCommand}. */
public record CommandOutcome(Kind kind, String message) {
    public enum Kind {
        /** Carried out. */
        DONE,
        /** Under way (a re-clone can take long); the node's status shows how it goes. */
        STARTED,
        /** Not carried out, for the reason given; nothing was changed. */
        REFUSED,
        /** Tried and failed; the agent log has the details. */
        FAILED
    }

    public static CommandOutcome of(Kind kind, String message) {
        return new CommandOutcome(kind, message);
    }
}
