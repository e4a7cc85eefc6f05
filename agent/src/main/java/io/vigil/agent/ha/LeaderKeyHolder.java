package io.vigil.agent.ha;

import io.vigil.config.ClusterSettings;
import io.vigil.store.ClusterStore;
import io.vigil.store.StoreException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's hold on the leader key. The key lives on an etcd lease of its own, the leader lease
 * ({@link io.vigil.config.Timing#leaderLease}), shorter than ttl; member keys stay on the ttl lease.
 * While we lead, a thread keeps the lease alive every second beside the loop, as long as the loop
 * finished a cycle within {@code ttl - leader lease} or runs a long action; the loop's own renewal
 * checks each cycle that the key still holds our name on that lease (compare-on-owner). So a
 * dead leader's key goes within the leader lease, and a stalled loop keeps it at most ttl past its
 * last cycle, as before. Only a success extends the {@link LeaderLease} deadline.
 */
final class LeaderKeyHolder implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LeaderKeyHolder.class);
    private static final long RENEW_EVERY_MS = 1000;
    /** Per renewal beside the loop: a stalled connection costs one attempt, not the whole retry_timeout. */
    private static final Duration BESIDE_CALL_TIMEOUT = Duration.ofSeconds(1);

    private final String name;
    private final ClusterStore store;
    private final ClusterStore quickStore;
    private final LeaderLease lease;
    private final LongSupplier clock;
    private final Supplier<ClusterSettings> settings;
    private final IntSupplier watchdogMarginSeconds;
    private final Runnable wakeLoop;
    private final Object renewing = new Object();
    private final ScheduledExecutorService renewer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vigil-renew");
        t.setDaemon(true);
        return t;
    });
    private ScheduledFuture<?> beside;            // guarded by this
    private long leaseId;                         // guarded by renewing
    private long leaseSeconds;                    // guarded by renewing
    private volatile long lastCycleEndNanos;
    private volatile boolean busy;
    private volatile boolean failing;

    LeaderKeyHolder(String name, ClusterStore store, LeaderLease lease, LongSupplier clock,
                    Supplier<ClusterSettings> settings, IntSupplier watchdogMarginSeconds, Runnable wakeLoop) {
        this.name = name;
        this.store = store;
        this.quickStore = store.withCallTimeout(BESIDE_CALL_TIMEOUT);
        this.lease = lease;
        this.clock = clock;
        this.settings = settings;
        this.watchdogMarginSeconds = watchdogMarginSeconds;
        this.wakeLoop = wakeLoop;
        this.lastCycleEndNanos = clock.getAsLong();
    }

    /** The leader lease now in force, in seconds. */
    int leaseSeconds() {
        return (int) timing().leaderLease().toSeconds();
    }

    /** The durations in force, with this node's watchdog margin. */
    io.vigil.config.Timing timing() {
        return settings.get().timing(watchdogMarginSeconds.getAsInt());
    }

    /** How long after the loop's last cycle the renewals beside it go on: ttl minus the leader lease. */
    int loopSilenceSeconds() {
        return (int) timing().loopSilence().toSeconds();
    }

    /** Creates the key on a fresh leader lease if it does not exist. */
    boolean acquire() {
        return create(store::acquireLeader);
    }

    /**
     * Fast takeover: the key from {@code oldLeader} (as read at {@code leaderModRevision}, with the sync
     * key at {@code syncModRevision}) onto a fresh leader lease of ours, then the old leader's lease
     * revoked, so that its renewals beside its loop fail at once.
     */
    boolean takeOver(String oldLeader, long oldLeaseId, long leaderModRevision, long syncModRevision) {
        boolean won = create((n, lease) -> store.takeOverLeader(n, lease, oldLeader, leaderModRevision, syncModRevision));
        if (won && oldLeaseId != 0) {
            try {
                store.revokeLease(oldLeaseId);
            } catch (RuntimeException e) {
                log.warn("took the key from {}, but could not revoke its lease: {}", oldLeader, e.getMessage());
            }
        }
        return won;
    }

    /** Claims the right to initialise the cluster, the key with it, on a fresh leader lease. */
    boolean claimInitialize() {
        return create(store::claimInitialize);
    }

    /** One of the store's create-if-absent transactions for the leader key, given our name and a lease. */
    private interface KeyCreation {
        boolean create(String name, long leaseId);
    }

    private boolean create(KeyCreation creation) {
        synchronized (renewing) {
            long sent = clock.getAsLong();
            if (!creation.create(name, grant())) return false;
            lease.renewed(sent, seconds(leaseSeconds));
            return true;
        }
    }

    /**
     * The loop's renewal; also takes over a key that holds our name on another lease (agent restart).
     * False: the key is not ours, and the deadline goes to 0.
     */
    boolean renew() {
        synchronized (renewing) {
            long sent = clock.getAsLong();
            if (!keepAlive()) {
                lease.clear();
                return false;
            }
            lease.renewed(sent, seconds(leaseSeconds));
            return true;
        }
    }

    /** The loop finished a cycle. */
    void cycleEnded() {
        lastCycleEndNanos = clock.getAsLong();
    }

    /** The loop runs an action that can take longer than the gate (initdb, start, promote): renew meanwhile. */
    void busy(boolean longAction) {
        busy = longAction;
    }

    /** Called at every deadline change: renewals beside the loop run while we lead. */
    synchronized void leading(boolean leading) {
        if (leading && beside == null) {
            beside = renewer.scheduleAtFixedRate(this::renewBeside, RENEW_EVERY_MS, RENEW_EVERY_MS,
                    TimeUnit.MILLISECONDS);
        } else if (!leading && beside != null) {
            beside.cancel(false);
            beside = null;
        }
    }

    /**
     * Clean shutdown of a leader whose Postgres has stopped: publishes its last position (a replica that
     * lacks it knows to wait for us if all nodes start again), releases the key and revokes the lease.
     */
    void handOverAfterStop(io.vigil.agent.core.LocalPostgres stopped) {
        if (!stopped.running() && stopped.writeLsn() != null) {
            store.putStoppedLeaderStatus(stopped.writeLsn().value(), name);
        }
        store.releaseLeader(name);
        revoke();
    }

    /** Revokes the leader lease (clean shutdown, after the key was released). */
    void revoke() {
        synchronized (renewing) {
            if (leaseId != 0) store.revokeLease(leaseId);
            leaseId = 0;
        }
    }

    @Override
    public void close() {
        renewer.shutdownNow();
    }

    private void renewBeside() {
        if (!lease.held()) return;
        long gateNanos = seconds(loopSilenceSeconds());
        if (!busy && clock.getAsLong() - lastCycleEndNanos > gateNanos) return;   // the loop is stalled: let it go
        try {
            synchronized (renewing) {
                long sent = clock.getAsLong();
                // a new lease length, or a key to take over, is the loop's renewal's job
                if (leaseSeconds != leaseSeconds()) return;
                if (leaseId != 0 && quickStore.refreshLease(leaseId)) {
                    lease.renewedIfHeld(sent, seconds(leaseSeconds));
                    if (failing) log.info("leader key renewed again beside the loop");
                    failing = false;
                    return;
                }
            }
            if (lease.held()) {
                if (!failing) log.warn("our leader lease is gone; waking the loop to look");
                failing = true;
                wakeLoop.run();
            }
        } catch (StoreException e) {
            if (!failing) log.warn("could not renew the leader key beside the loop: {}", e.getMessage());
            failing = true;
        }
    }

    /** Keep-alive of the leader lease (a fresh one if it is gone or its length changed), then compare-on-owner. */
    private boolean keepAlive() {
        int wanted = leaseSeconds();
        if (leaseId == 0 || leaseSeconds != wanted || !store.refreshLease(leaseId)) {
            if (leaseId != 0 && leaseSeconds != wanted) {
                log.info("leader lease changes from {} s to {} s: moving the key to a new etcd lease", leaseSeconds, wanted);
            }
            grant();
        }
        return store.renewLeader(name, leaseId);
    }

    private long grant() {
        leaseSeconds = leaseSeconds();
        leaseId = store.grantLease(leaseSeconds);
        return leaseId;
    }

    private static long seconds(long s) {
        return Duration.ofSeconds(s).toNanos();
    }
}
