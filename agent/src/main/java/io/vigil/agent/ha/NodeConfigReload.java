package io.vigil.agent.ha;

import io.vigil.agent.core.CommandOutcome;
import io.vigil.agent.core.NodeCommand;
import io.vigil.agent.pg.PostgresFiles;
import io.vigil.config.AgentConfig;
import io.vigil.config.ConfigException;
import io.vigil.config.Tags;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POST /reload's node-config half: reads the node config file again and applies what can change
 * without an agent restart (tags, this node's own Postgres parameters, callbacks). Holds the tags in force.
 */
final class NodeConfigReload {
    private static final Logger log = LoggerFactory.getLogger(NodeConfigReload.class);

    private final AgentConfig started;
    private final Supplier<AgentConfig> reread;
    private final PostgresFiles files;
    private final Callbacks callbacks;
    private volatile Tags tags;

    NodeConfigReload(AgentConfig started, Supplier<AgentConfig> reread, PostgresFiles files, Callbacks callbacks) {
        this.started = started;
        this.reread = reread;
        this.files = files;
        this.callbacks = callbacks;
        this.tags = started.tags();
    }

    Tags tags() {
        return tags;
    }

    /**
     * A reload command re-reads the node config before the loop's look: the command goes on with a note
     * of what needs an agent restart, or is answered here (null) when the file is invalid. Other commands
     * pass unchanged.
     */
    OperatorInbox.Pending before(OperatorInbox.Pending pc) {
        if (pc == null || !(pc.command() instanceof NodeCommand.Reload)) return pc;
        AgentConfig fresh;
        try {
            fresh = reread.get();
        } catch (ConfigException e) {
            pc.done().complete(CommandOutcome.of(CommandOutcome.Kind.REFUSED,
                    "the node config is invalid, nothing was reloaded: " + e.getMessage()));
            return null;
        }
        return pc.withNote(apply(fresh));
    }

    private String apply(AgentConfig fresh) {
        List<String> needRestart = MemberKey.keysNeedingRestart(started, fresh);
        tags = fresh.tags();
        files.setLocalParameters(fresh.localParameters());
        files.setNoStream(fresh.tags().noStream());
        callbacks.commands(fresh.callbacks());
        String note = needRestart.isEmpty() ? ""
                : "; changed in the node config but applied only by an agent restart: " + String.join(", ", needRestart);
        log.info("node config re-read: tags {}, local parameters {}, callbacks {}{}", fresh.tags(), fresh.localParameters(),
                fresh.callbacks().keySet(), note);
        return note;
    }
}
