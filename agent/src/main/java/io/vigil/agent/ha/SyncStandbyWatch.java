package io.vigil.agent.ha;

import io.vigil.agent.core.SyncRules;
import io.vigil.agent.pg.ReplicationWatch;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.SyncState;
import io.vigil.config.AgentConfig;
import io.vigil.config.ClusterSettings;
import java.util.Arrays;
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
 * While a standby Postgres waits for is being confirmed (at most retry_timeout after a change) it
 * looks at pg_stat_replication every {@link #CONFIRMING_MS} ms. Otherwise it reads the walsenders'
 * process titles, without asking Postgres, every {@link #TITLES_MS} ms ({@link #SETTLED_TITLES_MS}
 * ms while the sync key names enough confirmed standbys and every walsender streams), and looks
 * again when they change (a standby connects, leaves, or changes state), or after
 * {@link #WAIT_MAX_MS} ms at the latest. With maximum_lag_on_syncnode set it looks every
 * {@link #LAG_LOOK_MS} ms instead: a title shows no lag.
 * It confirms standbys ({@link SyncConfirmations}) and wakes the loop when one is confirmed, or when
 * a standby connects, leaves, changes its sync state or crosses maximum_lag_on_syncnode.
 */
final class SyncStandbyWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SyncStandbyWatch.class);
    static final long CONFIRMING_MS = 50;
    static final long TITLES_MS = 200;
    static final long SETTLED_TITLES_MS = 1_000;
    /** The longest between two looks; also between looks where the kernel shows no process children. */
    static final long WAIT_MAX_MS = 10_000;
    private static final long NO_TITLES_MS = 1_000;
    /** With maximum_lag_on_syncnode set: a look every second, to see a standby fall behind. */
    static final long LAG_LOOK_MS = 1_000;
    /** Not leading in synchronous mode: {@link #target} wakes the thread. */
    private static final long IDLE_MS = 60_000;

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
    private volatile boolean poked;
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
        if (before == null && t != null) fastUntilNanos = clock.getAsLong() + t.fastNanos();
        if (before == null || t == null ? before != t : !before.waitedFor().equals(t.waitedFor())
                || !before.named().equals(t.named()) || before.count() != t.count() || before.maxLag() != t.maxLag()) {
            poke();   // what to confirm or how often to look changed
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
        poke();
    }

    /** Ends the thread's pause: it looks again at once. */
    private void poke() {
        poked = true;
        LockSupport.unpark(thread);
    }

    /** The members confirmed at the last look. */
    Set<String> confirmed() {
        return confirmed;
    }

    private void run() {
        while (!closed) {
            try {
                lookAndWait();
            } catch (RuntimeException e) {
                log.warn("synchronous standby watch: {}", e.toString());
                LockSupport.parkNanos(WAIT_MAX_MS * 1_000_000L);
            }
        }
        pg.close();
    }

    /** One look, then the pause before the next. */
    private void lookAndWait() {
        poked = false;
        Target t = target;
        if (t == null) {
            forget();
            pg.close();
            LockSupport.parkNanos(IDLE_MS * 1_000_000L);
            return;
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
            LockSupport.parkNanos(CONFIRMING_MS * 2_000_000L);
            return;
        }
        Set<String> now = confirmations.update(look, t.memberBySlot(), clock.getAsLong());
        boolean newlyConfirmed;
        synchronized (this) {
            if (gen != generation) return;   // the names changed during this look
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
        if (confirming(t, now, clock.getAsLong() - fastUntilNanos < 0)) {
            LockSupport.parkNanos(CONFIRMING_MS * 1_000_000L);
        } else if (t.maxLag() >= 0) {
            LockSupport.parkNanos(LAG_LOOK_MS * 1_000_000L);   // a title shows no lag: look each second
        } else {
            awaitWalSenderChange(settled(t, now));
        }
    }

    /**
     * Until the walsenders' titles change, a poke, or {@link #WAIT_MAX_MS}: read every
     * {@link #TITLES_MS} ms, or every {@link #SETTLED_TITLES_MS} ms once {@code settled} and every
     * walsender streams (each wake-up costs CPU even when nothing changed).
     */
    private void awaitWalSenderChange(boolean settled) {
        String before = pg.walSenders();
        if (before == null) {
            LockSupport.parkNanos(NO_TITLES_MS * 1_000_000L);
            return;
        }
        boolean streaming = before.isEmpty() || Arrays.stream(before.split(",")).allMatch(w -> w.endsWith(":streaming"));
        long every = settled && streaming ? SETTLED_TITLES_MS : TITLES_MS;
        long until = clock.getAsLong() + WAIT_MAX_MS * 1_000_000L;
        while (!closed && !poked && clock.getAsLong() - until < 0) {
            LockSupport.parkNanos(every * 1_000_000L);
            if (!before.equals(pg.walSenders())) return;
        }
    }

    /** The sync key names synchronous_node_count members, each confirmed. */
    static boolean settled(Target t, Set<String> confirmed) {
        return t.named().size() >= t.count() && confirmed.containsAll(t.named());
    }

    /**
     * Whether to look again in {@link #CONFIRMING_MS} ms rather than wait for the walsenders: a member
     * Postgres waits for is not confirmed yet, within retry_timeout of a change ({@code fast}).
     */
    static boolean confirming(Target t, Set<String> confirmed, boolean fast) {
        return fast && t.waitedFor().stream().anyMatch(m -> t.memberBySlot().containsValue(m) && !confirmed.contains(m));
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
        pg.close();
    }
}
