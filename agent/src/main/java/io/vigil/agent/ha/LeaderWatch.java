package io.vigil.agent.ha;

import io.vigil.agent.pg.PostgresPing;
import io.vigil.agent.pg.WalReceiver;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.LeaderKey;
import io.vigil.cluster.Member;
import io.vigil.config.ClusterSettings;
import io.vigil.config.HostPort;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the leader from this member, on a thread beside the loop, for synchronous mode's fast
 * takeover. Every 500 ms it looks at this node's WAL receiver (its process title, no query): while it
 * streams, the leader is alive and nothing else is asked, so a healthy cluster costs the leader
 * nothing. Otherwise it asks the leader's REST {@code /liveness} and, when that fails, its Postgres port
 * ({@link PostgresPing}), each within 500 ms. When all three fail, the leader is unreachable since then:
 * the loop publishes that in our member key (a write only on change) and clears it when any of the
 * three answers again. A frozen leader's stream ends by Postgres's own wal_receiver_timeout (2 s while
 * fast takeover is on: the receiver asks for a reply after 1 s of silence).
 */
final class LeaderWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LeaderWatch.class);
    static final long EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    static final Duration PROBE_TIMEOUT = Duration.ofMillis(500);
    /** How long the loop is woken each round while the leader stays unreachable. */
    private static final long WAKE_LOOP_FOR_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** The leader to watch: its name, Postgres address and REST API. */
    record Target(String leader, HostPort postgres, String apiUrl) {
        /** Whom to watch after a look at the cluster: the leader if fast takeover is on and it is not us; else null. */
        static Target of(ClusterView view, String self, ClusterSettings s) {
            if (!s.fastTakeoverOn()) return null;
            LeaderKey key = view.leader().orElse(null);
            if (key == null || key.name().equals(self)) return null;
            Member m = view.members().get(key.name());
            if (m == null || m.connUrl() == null || m.apiUrl() == null) return null;
            return new Target(key.name(), HostPort.fromUrl(m.connUrl()), m.apiUrl());
        }
    }

    private record Unreachable(String leader, long sinceNanos, String since) {
    }

    private final WalReceiver walReceiver;
    private final Predicate<String> restAlive;
    private final LongSupplier clock;
    private final Runnable wakeLoop;
    private volatile Target target;
    private volatile Unreachable unreachable;
    private volatile boolean stopping;
    private volatile Thread thread;
    /** {@code walReceiver}: this node's, used by the watch thread only. */
    LeaderWatch(WalReceiver walReceiver, Predicate<String> restAlive, LongSupplier clock, Runnable wakeLoop) {
        this.walReceiver = walReceiver;
        this.restAlive = restAlive;
        this.clock = clock;
        this.wakeLoop = wakeLoop;
    }

    void start() {
        Thread t = new Thread(this::watchUntilStopped, "vigil-leader-watch");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** The loop's latest look: whom to watch (null: nobody). */
    void target(Target t) {
        if (Objects.equals(t, target)) return;
        target = t;
        Thread th = thread;
        if (th != null) LockSupport.unpark(th);
    }

    /** What our member key says about the leader: unreachable since when, or null. */
    Member.LeaderUnreachable published() {
        Unreachable u = unreachable;
        Target t = target;
        return u == null || t == null || !u.leader().equals(t.leader()) ? null : new Member.LeaderUnreachable(u.leader(), u.since());
    }

    private void watchUntilStopped() {
        while (!stopping) {
            long started = clock.getAsLong();
            Target t = target;
            if (t == null) {
                unreachable = null;
                walReceiver.close();
                LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(60));   // a new target unparks it
                continue;
            }
            boolean gone = allFail(t);
            Unreachable before = unreachable;
            if (gone && (before == null || !before.leader().equals(t.leader()))) {
                unreachable = new Unreachable(t.leader(), clock.getAsLong(),
                        OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS).toString());
                log.warn("leader {} unreachable: no WAL stream, its Postgres port and its REST API do not answer", t.leader());
                wakeLoop.run();
            } else if (!gone && before != null) {
                unreachable = null;
                log.info("leader {} answers again", before.leader());
                wakeLoop.run();
            } else if (gone && clock.getAsLong() - before.sinceNanos() < WAKE_LOOP_FOR_NANOS) {
                wakeLoop.run();   // the loop looks again while the evidence matures
            }
            long left = EVERY_NANOS - (clock.getAsLong() - started);
            if (left > 0) LockSupport.parkNanos(left);
        }
        walReceiver.close();
    }

    /** Our WAL receiver does not stream, and neither the leader's REST API nor its Postgres port answers. */
    private boolean allFail(Target t) {
        return !walReceiver.streaming() && !leaderAnswers(t);
    }

    /**
     * The leader's REST API answers, or else its Postgres port (500 ms each): the port only when the API
     * does not, since each look there forks a backend on the leader.
     */
    private boolean leaderAnswers(Target t) {
        return restAlive.test(t.apiUrl()) || PostgresPing.answers(t.postgres(), PROBE_TIMEOUT);
    }

    @Override
    public void close() {
        stopping = true;
        Thread t = thread;
        if (t != null) LockSupport.unpark(t);
    }
}
