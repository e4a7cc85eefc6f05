package io.vigil.agent.ha;

import io.vigil.agent.core.CommandOutcome;
import io.vigil.agent.core.NodeCommand;
import io.vigil.agent.core.Plan;
import java.time.OffsetDateTime;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What operators hand the loop from REST threads: work to run in the loop thread before its next look
 * (etcd edits on a fresh read), one command at a time, and one scheduled restart. Every handing-in
 * wakes the loop.
 */
final class OperatorInbox {
    private static final Logger log = LoggerFactory.getLogger(OperatorInbox.class);

    private final Queue<Runnable> requests = new ConcurrentLinkedQueue<>();
    private final AtomicReference<Pending> command = new AtomicReference<>();
    private final AtomicReference<ScheduledRestart> scheduled = new AtomicReference<>();
    private final Runnable wakeLoop;
    private final LongSupplier wallClockMillis;

    /** A command the loop carries out this cycle; {@code note} is added to what the operator is told. */
    record Pending(NodeCommand command, CompletableFuture<CommandOutcome> done, String note) {
        Pending withNote(String n) {
            return new Pending(command, done, n);
        }
    }

    OperatorInbox(Runnable wakeLoop, LongSupplier wallClockMillis) {
        this.wakeLoop = wakeLoop;
        this.wallClockMillis = wallClockMillis;
    }

    /** Runs {@code work} in the loop thread before its next cycle's look (at once); its result or exception completes the future. */
    <T> CompletableFuture<T> inLoop(Supplier<T> work) {
        var result = new CompletableFuture<T>();
        requests.add(() -> {
            try {
                result.complete(work.get());
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        wakeLoop.run();
        return result;
    }

    /** The loop thread: runs what was handed in with {@link #inLoop}. */
    void runRequests() {
        for (Runnable r = requests.poll(); r != null; r = requests.poll()) {
            r.run();
        }
    }

    /** Hands an operator command to the loop; one at a time per node. */
    CompletableFuture<CommandOutcome> submit(NodeCommand c) {
        Pending p = new Pending(c, new CompletableFuture<>(), "");
        if (!command.compareAndSet(null, p)) {
            return CompletableFuture.completedFuture(CommandOutcome.of(CommandOutcome.Kind.REFUSED,
                    "another command is in progress on this node; try again when it is done"));
        }
        wakeLoop.run();
        return p.done();
    }

    /** Schedules a restart; false when one is already scheduled. */
    boolean schedule(NodeCommand.Restart r, OffsetDateTime at) {
        return scheduled.compareAndSet(null, new ScheduledRestart(r, at));
    }

    /** Cancels the scheduled restart; false when none was scheduled. */
    boolean cancelScheduled() {
        return scheduled.getAndSet(null) != null;
    }

    /** The restart scheduled, or null. */
    ScheduledRestart scheduled() {
        return scheduled.get();
    }

    /** The command for this cycle: a submitted one, else the scheduled restart if it is due; or null. */
    Pending take() {
        Pending pc = command.getAndSet(null);
        if (pc != null) return pc;
        ScheduledRestart due = scheduled.get();
        if (due == null || due.at().toInstant().toEpochMilli() > wallClockMillis.getAsLong()
                || !scheduled.compareAndSet(due, null)) {
            return null;
        }
        Pending p = new Pending(due.restart(), new CompletableFuture<>(), "");
        p.done().thenAccept(out -> log.info("scheduled restart for {}: {} ({})", due.at(), out.kind(),
                out.message()));
        return p;
    }

    /** Tells the operator how the cycle went for their command. */
    static void answer(Pending pc, Plan plan, String error, boolean allDone) {
        CommandOutcome out;
        if (plan.refusal() != null) {
            out = CommandOutcome.of(CommandOutcome.Kind.REFUSED, plan.refusal());
        } else if (plan.contains(pc.command().carriedBy()) && (error != null || !allDone)) {
            out = CommandOutcome.of(CommandOutcome.Kind.FAILED, error != null ? error : "a compare-and-set in etcd was lost");
        } else {
            out = CommandOutcome.of(CommandOutcome.Kind.DONE, plan.reason() + pc.note());
        }
        pc.done().complete(out);
    }
}
