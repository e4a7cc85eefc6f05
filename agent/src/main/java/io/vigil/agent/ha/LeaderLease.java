package io.vigil.agent.ha;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Our own view of how long we may act as leader, on the monotonic clock (DESIGN.md rule 1, as
 * amended in docs/architecture.md): {@code until = sentAt + leader lease}, where {@code sentAt} is when
 * the last successful renewal was sent. Only a successful renewal extends it. Read by the fence
 * thread, written by the loop and by the renewal beside it; writes and their {@code onChange} go in order.
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
    public synchronized void renewed(long sentAtNanos, long ttlNanos) {
        untilNanos.set(sentAtNanos + ttlNanos);
        onChange.accept(sentAtNanos + ttlNanos);
    }

    /**
     * A renewal beside the loop succeeded: extends the deadline only if we still lead, so a renewal
     * in flight when the loop let go of the key cannot bring the deadline back.
     */
    public synchronized boolean renewedIfHeld(long sentAtNanos, long ttlNanos) {
        if (untilNanos.get() == 0) return false;
        untilNanos.set(sentAtNanos + ttlNanos);
        onChange.accept(sentAtNanos + ttlNanos);
        return true;
    }

    public synchronized void clear() {
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
