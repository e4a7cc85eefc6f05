package io.vigil.agent.ha;

import io.vigil.agent.pg.PostgresControl;
import io.vigil.config.ClusterSettings;
import io.vigil.config.ConfigEdit;
import io.vigil.config.ConfigException;
import io.vigil.store.ClusterStore;
import io.vigil.store.StoreException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PATCH (merge) or PUT (replace) of the cluster-wide settings: validated, every new or changed
 * Postgres parameter value checked by this node's own server, then written with compare-and-set on
 * the config key's revision. Runs in the loop thread.
 */
final class ClusterConfigEditor {
    private static final Logger log = LoggerFactory.getLogger(ClusterConfigEditor.class);

    /** An edit written: what the API answers, and the settings now in force. */
    record Edited(ConfigEdit.Applied applied, ClusterSettings settings) {
    }

    private final ClusterStore store;
    private final PostgresControl pg;

    ClusterConfigEditor(ClusterStore store, PostgresControl pg) {
        this.store = store;
        this.pg = pg;
    }

    /**
     * {@code ifRevision}: the revision the client saw (0: the one read now). Throws
     * {@link ConfigException} (invalid), {@link ConfigEdit.Conflict} (changed meanwhile) or
     * {@link StoreException}.
     */
    Edited edit(String body, boolean replace, long ifRevision) {
        ClusterStore.StoredSettings stored = store.readSettings();
        if (stored.modRevision() == 0) {
            throw new StoreException("the cluster config is not initialised yet", null);
        }
        if (ifRevision != 0 && ifRevision != stored.modRevision()) {
            throw new ConfigEdit.Conflict("the cluster config changed (revision " + stored.modRevision()
                    + ", the request was based on " + ifRevision + "); read it again");
        }
        ConfigEdit.Result edit = replace ? ConfigEdit.replace(body) : ConfigEdit.patch(stored.json(), body);
        ClusterSettings before = settingsOf(stored.json());
        refuseBadParameterValues(before, edit.settings());
        refuseSlotsNamedLikeMembers(edit.settings());
        if (!store.replaceSettings(edit.json(), stored.modRevision())) {
            throw new ConfigEdit.Conflict("the cluster config changed concurrently; read it again");
        }
        List<String> changes = ConfigEdit.changes(before, edit.settings());
        log.info("cluster config {} over the REST API; changed: {}", replace ? "replaced" : "patched",
                changes.isEmpty() ? "nothing" : String.join("; ", changes));
        return new Edited(new ConfigEdit.Applied(edit.json(), changes), edit.settings());
    }

    /** Refuses a permanent slot that has the name of a member's own slot (the member's would win). */
    private void refuseSlotsNamedLikeMembers(ClusterSettings edited) {
        if (edited.slots().isEmpty()) return;
        List<String> clashes = new ArrayList<>();
        for (String member : store.read().members().keySet()) {
            String slot = io.vigil.config.AgentConfig.slotName(member);
            if (edited.slots().containsKey(slot)) clashes.add("slots." + slot + " is the replication slot of member " + member);
        }
        if (!clashes.isEmpty()) {
            throw new ConfigException(String.join("; ", clashes) + "; give the permanent slot another name");
        }
    }

    /** The stored settings; the defaults when they cannot be read. */
    private static ClusterSettings settingsOf(String storedJson) {
        try {
            return ClusterSettings.fromJson(storedJson);
        } catch (RuntimeException e) {
            return ClusterSettings.defaults();
        }
    }

    /**
     * Refuses an edit whose new or changed Postgres parameter values this node's Postgres would refuse
     * (type, range, unit, enum value, syntax: the server's own check), naming each one and what it takes.
     */
    private void refuseBadParameterValues(ClusterSettings before, ClusterSettings edited) {
        Map<String, Object> old = before.postgresql().parameters();
        Map<String, Object> changed = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : edited.postgresql().parameters().entrySet()) {
            if (!Objects.equals(old.get(e.getKey()), e.getValue())) changed.put(e.getKey(), e.getValue());
        }
        Map<String, String> refused = changed.isEmpty() ? Map.of() : pg.parameterProblems(changed);
        if (refused.isEmpty()) return;
        List<String> lines = new ArrayList<>();
        refused.forEach((name, why) -> lines.add("postgresql.parameters." + name + " = '" + changed.get(name)
                + "' is refused: " + why));
        throw new ConfigException(String.join("\n", lines) + "\nnothing was changed");
    }
}
