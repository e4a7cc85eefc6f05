package io.vigil.agent.ha;

import io.vigil.cluster.ClusterView;
import io.vigil.store.ClusterStore;
import io.vigil.store.StoreException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The etcd side of the loop's look: one read of the cluster per cycle (after keeping this member's
 * key alive), the last view that succeeded and when, the leader-key watch that wakes the loop, and a
 * config key that is refused. Loop thread only.
 */
final class ClusterReader implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterReader.class);

    private final ClusterStore store;
    private final MemberKeyWriter memberKey;
    private final LongSupplier clock;
    private final Runnable wakeLoop;
    private final LoopEvents events;
    private AutoCloseable leaderKeyWatch;
    private ClusterView lastView;
    private long lastViewReadNanos;
    private long lastSeenEpochSeconds;
    /** Why the config key was last refused (null: it was valid). */
    private String refusedConfig;

    ClusterReader(ClusterStore store, MemberKeyWriter memberKey, LongSupplier clock, Runnable wakeLoop, LoopEvents events) {
        this.store = store;
        this.memberKey = memberKey;
        this.clock = clock;
        this.wakeLoop = wakeLoop;
        this.events = events;
    }

    /** This cycle's read, or empty when etcd cannot be reached; {@code times} gets how long it took. */
    Optional<ClusterView> read(int ttlSeconds, CycleTimes times) {
        long started = clock.getAsLong();
        try {
            memberKey.keepAlive(ttlSeconds);
            ClusterView v = store.read();
            done(started, false, times);
            lastView = v;
            lastViewReadNanos = started;
            lastSeenEpochSeconds = System.currentTimeMillis() / 1000;
            noteRefusedConfig(v.settingsProblem());
            if (leaderKeyWatch == null) leaderKeyWatch = store.watchLeader(wakeLoop);
            return Optional.of(v);
        } catch (StoreException e) {
            log.warn("etcd unreachable: {}", e.getMessage());
            done(started, true, times);
            return Optional.empty();
        }
    }

    /** The last successful read (null: none yet). */
    ClusterView lastView() {
        return lastView;
    }

    /** Wall-clock second of the last successful read (0: never). */
    long lastSeenEpochSeconds() {
        return lastSeenEpochSeconds;
    }

    /** {@code now}'s read, or while etcd is unreachable the last one, for {@code ttl} after it was read. */
    Optional<ClusterView> lastKnown(Optional<ClusterView> now, Duration ttl) {
        if (now.isPresent() || lastView == null) return now;
        return clock.getAsLong() - lastViewReadNanos < ttl.toNanos() ? Optional.of(lastView) : Optional.empty();
    }

    /** Logs when the config key turns unusable (written by another tool) or usable again. */
    private void noteRefusedConfig(String problem) {
        if (Objects.equals(problem, refusedConfig)) return;
        if (problem != null) {
            log.warn("the cluster config in etcd is refused, the settings in force stay: {}; correct it with"
                    + " vigil edit-config or PATCH /config", problem);
        } else if (refusedConfig != null) {
            log.info("the cluster config in etcd is valid again");
        }
        refusedConfig = problem;
    }

    /** The etcd part of the cycle (keep-alive and read) ended: counted by the metrics and the cycle's timings. */
    private void done(long startedNanos, boolean failed, CycleTimes times) {
        long took = clock.getAsLong() - startedNanos;
        events.etcdCall(Duration.ofNanos(took), failed);
        times.etcd(took);
    }

    @Override
    public void close() {
        try {
            if (leaderKeyWatch != null) leaderKeyWatch.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }
}
