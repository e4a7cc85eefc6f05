package io.vigil.agent.ha;

import io.vigil.agent.pg.ReplicationWatch;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.SyncState;
import io.vigil.config.AgentConfig;
import io.vigil.config.ClusterSettings;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's eye on its standbys in synchronous mode, on a thread beside the HA loop, so that a
 * synchronous standby is chosen and named within a fraction of a second instead of whole cycles.
 * It looks at pg_stat_replication every {@link #SETTLED_MS} ms while the sync key names
 * synchronous_node_count confirmed standbys. Otherwise it looks every {@link #UNSETTLED_MS} ms, and
 * for retry_timeout after a change (a promotion, a standby that connects or leaves, new
 * synchronous_standby_names) every {@link #SHORT_MS} ms, or {@link #CONFIRMING_MS} ms while a standby
 * Postgres waits for is not yet confirmed. It confirms standbys ({@link SyncConfirmations}) and wakes
 * the loop when one is confirmed, or when a standby connects, leaves, changes its sync state or
 * crosses maximum_lag_on_syncnode.
 */
final class SyncStandbyWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SyncStandbyWatch.class);
    static final long CONFIRMING_MS = 50;
    static final long SHORT_MS = 100;
    static final long UNSETTLED_MS = 500;
    static final long SETTLED_MS = 1_000;

    /**
     * What the loop saw last: this node leads a running primary in synchronous mode.
     *
     * @param memberBySlot member names by their application_name (slot name)
     * @param waitedFor    the members synchronous_standby_names lists
     * @param named        the members the sync key names for this leader
     * @param count        synchronous_node_count
     * @param maxLag       maximum_lag_on_syncnode in bytes (negative: no limit)
     * @param fastNanos    how long to look fast after a change (retry_timeout)
     */
    record Target(Map<String, String> memberBySlot, Set<String> waitedFor, Set<String> named, int count, long maxLag,
                  long fastNanos) {
        static Target of(ClusterView view, String self, String syncStandbyNames, ClusterSettings s) {
            Map<String, String> bySlot = view.members().keySet().stream()
                    .collect(Collectors.toMap(AgentConfig::slotName, m -> m, (a, b) -> a));
            SyncState key = view.sync();
            Set<String> named = self.equals(key.leader()) ? key.members() : Set.of();
            return new Target(Map.copyOf(bySlot), SyncRules.parse(syncStandbyNames, view), named,
                    s.synchronousNodeCount(), s.maximumLagOnSyncnode(), s.retryTimeoutDuration().toNanos());
        }
    }

    private final ReplicationWatch pg;
    private final LongSupplier clock;
    private final Runnable wakeLoop;
    private final SyncConfirmations confirmations = new SyncConfirmations();
    private volatile Target target;
    private volatile Set<String> confirmed = Set.of();
    private volatile boolean closed;
    /** Bumped by {@link #namesChanged}: a look begun before it is not counted. Guarded by this. */
    private long generation;
    /** The generation the confirmations were taken under; the watch thread's. */
    private long lookedAtGeneration;
    private volatile long fastUntilNanos;
    private String lastFingerprint = "";
    private Thread thread;

    SyncStandbyWatch(ReplicationWatch pg, LongSupplier clock, Runnable wakeLoop) {
        this.pg = pg;
        this.clock = clock;
        this.wakeLoop = wakeLoop;
    }

    void start() {
        thread = new Thread(this::run, "vigil-sync-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /** The loop's latest view; null when this node does not lead a running primary in synchronous mode. */
    void target(Target t) {
        Target before = target;
        target = t;
        if (before == null && t != null) {
            fastUntilNanos = clock.getAsLong() + t.fastNanos();
            LockSupport.unpark(thread);
        }
    }

    /** synchronous_standby_names was just changed: every standby proves itself again, looked at fast. */
    void namesChanged() {
        synchronized (this) {
            generation++;
            confirmed = Set.of();
        }
        Target t = target;
        fastUntilNanos = clock.getAsLong() + (t == null ? 0 : t.fastNanos());
        LockSupport.unpark(thread);
    }

    /** The members confirmed at the last look. */
    Set<String> confirmed() {
        return confirmed;
    }

    private void run() {
        while (!closed) {
            long pause;
            try {
                pause = lookOnce();
            } catch (RuntimeException e) {
                log.warn("synchronous standby watch: {}", e.toString());
                pause = SETTLED_MS;
            }
            LockSupport.parkNanos(pause * 1_000_000L);
        }
        pg.close();
    }

    /** One look; returns the pause before the next, in ms. */
    private long lookOnce() {
        Target t = target;
        if (t == null) {
            forget();
            pg.close();
            return SETTLED_MS;
        }
        long gen;
        synchronized (this) {
            gen = generation;
        }
        if (gen != lookedAtGeneration) {   // marks taken under the names before count no more
            confirmations.reset();
            lookedAtGeneration = gen;
        }
        ReplicationWatch.Look look = pg.look();
        if (look == null) {
            forget();
            return SHORT_MS;
        }
        Set<String> now = confirmations.update(look, t.memberBySlot(), clock.getAsLong());
        boolean newlyConfirmed;
        synchronized (this) {
            if (gen != generation) return 0;   // the names changed during this look
            newlyConfirmed = !confirmed.containsAll(now);
            confirmed = Set.copyOf(now);
        }
        String fingerprint = fingerprint(look, t);
        boolean changed = !fingerprint.equals(lastFingerprint);
        lastFingerprint = fingerprint;
        if (newlyConfirmed || changed) {
            log.debug("standbys {}; confirmed {}: waking the HA loop", fingerprint, now);
            if (changed) fastUntilNanos = clock.getAsLong() + t.fastNanos();
            wakeLoop.run();
        }
        return pauseMs(t, now, clock.getAsLong() - fastUntilNanos < 0);
    }

    /** The pause before the next look, in ms; {@code fast}: within retry_timeout of a change. */
    static long pauseMs(Target t, Set<String> confirmed, boolean fast) {
        boolean unconfirmed = t.waitedFor().stream().anyMatch(m -> t.memberBySlot().containsValue(m)
                && !confirmed.contains(m));
        boolean unsettled = unconfirmed || t.named().size() < t.count();
        if (!unsettled) return SETTLED_MS;
        if (!fast) return UNSETTLED_MS;
        return unconfirmed ? CONFIRMING_MS : SHORT_MS;
    }

    /** What the loop decides on: each member standby's state, sync state and whether it is too far behind. */
    static String fingerprint(ReplicationWatch.Look look, Target t) {
        Set<String> parts = new TreeSet<>();
        for (ReplicationWatch.Standby s : look.standbys()) {
            String member = t.memberBySlot().get(s.applicationName());
            if (member == null) continue;
            boolean behind = t.maxLag() >= 0 && s.flushLsn() != null && look.writeLsn().bytesAfter(s.flushLsn()) > t.maxLag();
            parts.add(member + ":" + s.state() + ":" + s.syncState() + (behind ? ":behind" : ""));
        }
        return String.join(",", parts);
    }

    private void forget() {
        confirmations.reset();
        confirmed = Set.of();
        lastFingerprint = "";
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }
}
