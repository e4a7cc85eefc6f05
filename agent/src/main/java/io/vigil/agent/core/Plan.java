package io.vigil.agent.core;

import java.util.ArrayList;
import java.util.List;

/**
 * What one cycle decided: the steps, and why, in words an operator can read. {@code refusal} says
 * why an operator's {@link NodeCommand} was not carried out (null: no command, or carried out).
 */
public record Plan(List<Action> actions, String reason, String refusal) {

    public static Plan of(String reason, Action... actions) {
        return new Plan(List.of(actions), reason, null);
    }

    public static Plan of(String reason, List<Action> actions) {
        return new Plan(List.copyOf(actions), reason, null);
    }

    public static Plan waiting(String reason) {
        return new Plan(List.of(), reason, null);
    }

    public boolean contains(Class<? extends Action> type) {
        return actions.stream().anyMatch(type::isInstance);
    }

    public Plan refusing(String why) {
        return new Plan(actions, reason, why);
    }

    /** This plan with {@code more} appended and a new reason. */
    public Plan plus(String newReason, Action... more) {
        List<Action> all = new ArrayList<>(actions);
        all.addAll(List.of(more));
        return new Plan(List.copyOf(all), newReason, refusal);
    }
}
