package io.vigil.agent.ha;

import io.vigil.agent.core.Action;
import io.vigil.agent.pg.PostgresControl;
import io.vigil.agent.pg.PostmasterDeathWatch;
import io.vigil.agent.pg.ProcStat;
import java.io.IOException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thread that wakes the HA loop within 200 ms of the postmaster dying or appearing. It blocks in
 * {@link PostmasterDeathWatch} and looks at the postmaster's /proc entry each time that returns.
 */
final class PostmasterMonitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PostmasterMonitor.class);

    private final PostgresControl pg;
    private final PostmasterDeathWatch deathWatch;
    private final Supplier<Action> acting;
    private final Runnable wakeLoop;
    private volatile boolean stopping;
    private volatile boolean postmasterAlive;
    private ProcStat watched;   // the monitor thread's own

    /** {@code acting}: the action the loop is executing, or null; Postgres stopping during one is expected. */
    PostmasterMonitor(PostgresControl pg, LongSupplier clock, Supplier<Action> acting, Runnable wakeLoop) {
        this.pg = pg;
        this.deathWatch = new PostmasterDeathWatch(pg::idleWatchConnection, clock, 200, 5_000);
        this.acting = acting;
        this.wakeLoop = wakeLoop;
    }

    void start() {
        postmasterAlive = pg.postmasterPid() != null;
        Thread t = new Thread(this::watchUntilStopped, "vigil-watch");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        stopping = true;
        deathWatch.close();
    }

    private void watchUntilStopped() {
        while (!stopping) {
            deathWatch.await(postmasterAlive);   // blocks on an idle connection while Postgres takes one
            try {
                look();
            } catch (RuntimeException e) {
                log.warn("postmaster watch: {}", e.toString());
            }
        }
        if (watched != null) watched.close();
    }

    private void look() {
        if (stopping) return;   // the loop's close() stops Postgres itself
        boolean alive = watched != null && watched.alive();
        if (!alive) {
            if (watched != null) watched.close();
            watched = null;
            Long pid = pg.postmasterPid();
            if (pid != null) {
                try {
                    watched = ProcStat.open(pid);
                    alive = watched.alive();
                } catch (IOException e) {
                    alive = false;   // gone between reading postmaster.pid and opening its stat
                }
            }
        }
        if (alive != postmasterAlive) {
            postmasterAlive = alive;
            Action during = acting.get();
            if (!alive && during == null) {
                log.warn("postmaster is gone; waking the HA loop");
            } else if (!alive) {
                log.debug("postmaster stopped during {}", during.getClass().getSimpleName());
            }
            wakeLoop.run();
        }
    }
}
