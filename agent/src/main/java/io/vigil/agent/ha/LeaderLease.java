package io.vigil.agent.ha;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Our own view of how long we may act as leader, on the monotonic clock (DESIGN.md rule 1):
 * {@code until = sentAt + ttl}, where {@code sentAt} is when the last successful renewal was sent.
 * Only a successful renewal extends it. Read by the fence thread, written by the loop.
 */
public final class LeaderLease {
    private final AtomicLong untilNanos = new AtomicLong(0);
    private final java.util.function.LongConsumer onChange;

    public LeaderLease() {
        this(until -> { });
    }

    /** {@code onChange} hears every new deadline (0: no longer leading), e.g. to feed the fence process. */
    public LeaderLease(java.util.function.LongConsumer onChange) {
        this.onChange = onChange;
    }

    /** A renewal sent at {@code sentAtNanos} succeeded. */
    public void renewed(long sentAtNanos, long ttlNanos) {
        untilNanos.set(sentAtNanos + ttlNanos);
        onChange.accept(sentAtNanos + ttlNanos);
    }

    public void clear() {
        if (untilNanos.getAndSet(0) != 0) onChange.accept(0);
    }

    /** The deadline, or 0 when we do not lead. */
    public long untilNanos() {
        return untilNanos.get();
    }

    public boolean held() {
        return untilNanos.get() != 0;
    }
}
