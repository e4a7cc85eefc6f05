package io.vigil.agent.ha;

import java.util.List;

/** What one cycle decided: the steps, and why, in words an operator can read. */
public record Plan(List<Action> actions, String reason) {

    public static Plan of(String reason, Action... actions) {
        return new Plan(List.of(actions), reason);
    }

    public static Plan waiting(String reason) {
        return new Plan(List.of(), reason);
    }

    public boolean contains(Class<? extends Action> type) {
        return actions.stream().anyMatch(type::isInstance);
    }
}
