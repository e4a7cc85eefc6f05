package io.vigil.agent.ha;

import io.vigil.agent.host.Watchdog;
import io.vigil.agent.pg.FenceProcess;
import io.vigil.agent.pg.PostgresControl;
import io.vigil.config.AgentConfig;
import io.vigil.config.ClusterSettings;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops this node's Postgres when its leader lease deadline (minus the safety margin) passes,
 * whatever the HA loop is doing: a thread in the agent, the separate fence process, and the
 * watchdog where one is configured. Every new deadline reaches all three through {@link #leaseMoved}.
 */
final class Fencing implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Fencing.class);

    private final LeaderLease lease;
    private final LeaderKeyHolder keyHolder;
    private final Supplier<ClusterSettings> settings;
    private final PostgresControl pg;
    private final LongSupplier clock;
    private final Runnable wakeLoop;
    private final FenceProcess fenceProcess;
    private final Watchdog watchdog;
    private volatile boolean stopping;
    private volatile Thread thread;

    Fencing(AgentConfig cfg, LeaderLease lease, LeaderKeyHolder keyHolder, Supplier<ClusterSettings> settings,
            PostgresControl pg, LongSupplier clock, Runnable wakeLoop) {
        this.lease = lease;
        this.keyHolder = keyHolder;
        this.settings = settings;
        this.pg = pg;
        this.clock = clock;
        this.wakeLoop = wakeLoop;
        this.fenceProcess = new FenceProcess(cfg.dataDir(), clock);
        this.watchdog = new Watchdog(cfg.watchdog(), Watchdog::setTimeoutWithPerl, clock);
    }

    void start() {
        Thread t = new Thread(this::fenceUntilStopped, "vigil-fence");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** A new lease deadline (0: no longer leading) goes to the fence thread, the fence process and the watchdog. */
    void leaseMoved(long untilNanos) {
        ClusterSettings s = settings.get();
        boolean fenced = untilNanos != 0 && !s.paused();
        fenceProcess.heartbeat(fenced ? untilNanos - s.timing().safetyMargin().toNanos() : 0);
        wake();
        if (fenced) {
            // renewals come every second while the loop is within the loop silence of its last cycle
            io.vigil.config.Timing t = keyHolder.timing();
            watchdog.keepalive(t.leaderLease(), s.ttl(), t.watchdogGap());
        } else {
            watchdog.disable();
        }
    }

    /** Why the watchdog cannot be used, or null. */
    String watchdogProblem() {
        return watchdog.problem();
    }

    /** watchdog.mode required: no primary runs here without an armed watchdog. */
    void requireWatchdog() {
        String problem = watchdog.problem();
        if (problem != null) {
            throw new IllegalStateException("watchdog.mode is required but " + problem + ": not running as primary");
        }
    }

    /** Ends the fence thread; {@link #leaseMoved} still reaches the fence process and the watchdog. */
    @Override
    public void close() {
        stopping = true;
        wake();
    }

    private void wake() {
        Thread t = thread;
        if (t != null) LockSupport.unpark(t);
    }

    /** Sleeps until the deadline minus the margin (every lease change wakes it to look again), then fences. */
    private void fenceUntilStopped() {
        while (!stopping) {
            long until = lease.untilNanos();
            ClusterSettings s = settings.get();
            if (until == 0 || s.paused()) {
                // every new deadline wakes it (leaseMoved), and a renewal comes at least every loop_wait
                LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(60));
                continue;
            }
            long left = until - s.timing().safetyMargin().toNanos() - clock.getAsLong();
            if (left > 0) {
                LockSupport.parkNanos(left);
            } else {
                fence();
            }
        }
    }

    /** Stops Postgres if we believe we lead and our own lease deadline (minus the margin) has passed. */
    private void fence() {
        long until = lease.untilNanos();
        ClusterSettings s = settings.get();
        if (until == 0 || s.paused()) return;
        if (clock.getAsLong() >= until - s.timing().safetyMargin().toNanos()) {
            lease.clear();
            log.error("leader lease deadline passed without a renewal: stopping Postgres now (fence)");
            stopPostgresNow();
            wakeLoop.run();
        }
    }

    /** The lease deadline has passed: stops Postgres as the fence process does, then with pg_ctl if it still runs. */
    void stopPostgresNow() {
        fenceProcess.stopPostgresNow();
        if (pg.postmasterPid() != null) pg.fenceStop();
    }
}
