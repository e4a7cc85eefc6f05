package io.vigil.agent.ha;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * Our own view of how long we may act as leader, on the monotonic clock (docs/architecture.md, the
 * timing rule): {@code until = sentAt + leader lease}, where {@code sentAt} is when the last successful
 * renewal was sent. Only a successful renewal extends it.
 *
 * <p>It is the one owner of the deadline, and one thread of its own ("vigil-lease") makes every change:
 * the loop's renewal, the renewal beside it, failsafe's confirmation, the fence and every letting go hand
 * their change over and wait for it. So changes, and the {@code onChange} that feeds the fence process
 * and the watchdog, happen one at a time and in order. Anyone may read it.
 */
public final class LeaderLease implements AutoCloseable {
    private volatile long untilNanos;
    private final LongConsumer onChange;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "vigil-lease");
        t.setDaemon(true);
        return t;
    });

    public LeaderLease() {
        this(until -> { });
    }

    /** {@code onChange} hears every new deadline (0: no longer leading), e.g. to feed the fence process. */
    public LeaderLease(LongConsumer onChange) {
        this.onChange = onChange;
    }

    /** A renewal sent at {@code sentAtNanos} succeeded. */
    public void renewed(long sentAtNanos, long leaseNanos) {
        change(() -> set(sentAtNanos + leaseNanos));
    }

    /**
     * A renewal beside the loop succeeded: extends the deadline only if we still lead, so a renewal
     * in flight when the loop let go of the key cannot bring the deadline back.
     */
    public boolean renewedIfHeld(long sentAtNanos, long leaseNanos) {
        return change(() -> untilNanos != 0 && set(sentAtNanos + leaseNanos));
    }

    /** We no longer lead: the deadline goes to 0. */
    public void clear() {
        change(() -> untilNanos != 0 && set(0));
    }

    /** The deadline, or 0 when we do not lead. */
    public long untilNanos() {
        return untilNanos;
    }

    public boolean held() {
        return untilNanos != 0;
    }

    /** Lets go of the deadline and ends the thread; later changes are ignored. */
    @Override
    public void close() {
        clear();
        thread.shutdown();
    }

    private boolean set(long until) {
        untilNanos = until;
        onChange.accept(until);
        return true;
    }

    /** Runs {@code c} on the lease thread and waits for it, even through an interrupt (it takes microseconds). */
    private boolean change(Supplier<Boolean> c) {
        Future<Boolean> done;
        try {
            done = thread.submit(c::get);
        } catch (RejectedExecutionException closed) {
            return false;
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return done.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }
}
