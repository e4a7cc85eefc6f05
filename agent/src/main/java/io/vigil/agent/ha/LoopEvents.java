package io.vigil.agent.ha;

import java.time.Duration;

/** What the HA loop reports as it happens: counted and timed by the metrics, never read back. */
public interface LoopEvents {
    LoopEvents NONE = new LoopEvents() { };

    default void cycle(Duration took, boolean overran) {
    }

    /** This node promoted; {@code fast}: by synchronous mode's fast takeover, not after the leader key was free. */
    default void promoted(boolean fast) {
    }

    default void demoted() {
    }

    default void handedOver() {
    }

    default void etcdCall(Duration took, boolean failed) {
    }
}
