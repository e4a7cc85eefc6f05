package io.vigil.agent.ha;

import java.time.Duration;

/**
 * Clones from one leader that failed in a row, and when the last one failed. The next waits a pause
 * that doubles from loop_wait up to {@link #MAX_PAUSE}: a replica whose disk cannot hold the database
 * must not copy the whole of it from the primary every cycle.
 *
 * @param source       the leader the clones came from
 * @param failures     how many failed in a row (1 or more)
 * @param failedAtNanos monotonic time of the last failure
 */
public record CloneFailure(String source, int failures, long failedAtNanos) {
    static final Duration MAX_PAUSE = Duration.ofMinutes(5);

    /** The pause before the next clone from {@link #source}. */
    Duration pause(Duration loopWait) {
        int doublings = Math.min(failures - 1, 20);
        Duration pause = loopWait.multipliedBy(1L << doublings);
        return pause.compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause;
    }

    /** Whether the pause after the last failure is still running at {@code nowNanos}. */
    boolean pausing(long nowNanos, Duration loopWait) {
        return nowNanos - failedAtNanos < pause(loopWait).toNanos();
    }
}
