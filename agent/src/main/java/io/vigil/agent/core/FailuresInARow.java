package io.vigil.agent.core;

import java.time.Duration;

/**
 * Attempts at one thing (a clone from one leader, a bootstrap) that failed in a row, and when the
 * last one failed. The next waits a pause that doubles from loop_wait up to {@link #MAX_PAUSE}: a
 * replica whose disk cannot hold the database must not copy the whole of it from the primary every
 * cycle, nor a node whose Postgres cannot start run initdb every cycle.
 *
 * @param source        what the attempts were about: the leader cloned from, or the cluster bootstrapped
 * @param failures      how many failed in a row (1 or more)
 * @param failedAtNanos monotonic time of the last failure
 */
public record FailuresInARow(String source, int failures, long failedAtNanos) {
    static final Duration MAX_PAUSE = Duration.ofMinutes(5);

    /** One more failure at {@code nowNanos}: counted on from {@code previous} when that was about the same source. */
    static FailuresInARow after(FailuresInARow previous, String source, long nowNanos) {
        int inARow = previous != null && previous.source().equals(source) ? previous.failures() : 0;
        return new FailuresInARow(source, inARow + 1, nowNanos);
    }

    /** The pause before the next attempt. */
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
