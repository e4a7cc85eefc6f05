package io.vigil.agent.ha;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The second line of defence for the cluster-wide Postgres parameters: a value this node's Postgres
 * would refuse never reaches its config file (one bad value there and Postgres does not start). The
 * node keeps the last value it accepted, or the server default when it had none, and says which.
 * Values are checked only when they change. Used by the loop thread.
 */
final class ParameterGuard {
    private static final Logger log = LoggerFactory.getLogger(ParameterGuard.class);

    /** A refused value: why, and what the node keeps instead (null: the server default). */
    record Refusal(Object wanted, String problem, Object kept) {
    }

    private Map<String, Object> lastWanted;
    private Map<String, Object> accepted = Map.of();
    private Map<String, Refusal> refused = Map.of();

    /**
     * The parameters to write: {@code wanted} less the values {@code problems} (refused values by
     * name) refuses, each replaced by the last accepted value. When the check cannot run, the last
     * accepted parameters stand and the next call tries again.
     */
    Map<String, Object> apply(Map<String, Object> wanted, Function<Map<String, Object>, Map<String, String>> problems) {
        if (wanted.equals(lastWanted)) return accepted;
        Map<String, Object> changed = new LinkedHashMap<>();
        wanted.forEach((k, v) -> {
            if (!Objects.equals(accepted.get(k), v)) changed.put(k, v);
        });
        Map<String, String> refusedNow;
        try {
            refusedNow = changed.isEmpty() ? Map.of() : problems.apply(changed);
        } catch (RuntimeException e) {
            if (lastWanted == null) {
                log.warn("cannot check the Postgres parameters ({}); writing them unchecked", e.getMessage());
                return wanted;
            }
            log.warn("cannot check the new Postgres parameters ({}); keeping the ones in force", e.getMessage());
            return accepted;
        }
        Map<String, Object> next = new LinkedHashMap<>(wanted);
        Map<String, Refusal> why = new TreeMap<>();
        refusedNow.forEach((name, problem) -> {
            Object kept = accepted.get(name);
            if (kept == null) next.remove(name);
            else next.put(name, kept);
            why.put(name, new Refusal(wanted.get(name), problem, kept));
            log.warn("postgresql.parameters.{} = '{}' is refused by this node's Postgres, so it is not written;"
                    + " keeping {}: {}", name, wanted.get(name), kept == null ? "the server default" : "'" + kept + "'",
                    problem);
        });
        lastWanted = new LinkedHashMap<>(wanted);
        accepted = java.util.Collections.unmodifiableMap(next);
        refused = Map.copyOf(why);
        return accepted;
    }

    /** Each refused value in words, by parameter name: what is kept instead, and why; null when none. */
    Map<String, String> describeRefusals() {
        if (refused.isEmpty()) return null;
        Map<String, String> out = new TreeMap<>();
        refused.forEach((name, r) -> out.put(name, "'" + r.wanted() + "' refused, keeping "
                + (r.kept() == null ? "the server default" : "'" + r.kept() + "'") + ": " + r.problem()));
        return out;
    }

    /** Refused values by parameter name (empty: every value is written). */
    Map<String, Refusal> refused() {
        return refused;
    }
}
