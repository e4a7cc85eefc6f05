package io.vigil.agent.ha;

import io.vigil.agent.core.NodeCommand;
import java.time.OffsetDateTime;

/** A restart the operator scheduled for {@code at}. */
public record ScheduledRestart(NodeCommand.Restart restart, OffsetDateTime at) {
}
