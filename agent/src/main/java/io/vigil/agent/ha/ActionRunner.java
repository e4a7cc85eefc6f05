package io.vigil.agent.ha;

import io.vigil.agent.core.Action;
import io.vigil.agent.core.FailedAttempts;
import io.vigil.agent.core.Memory;
import io.vigil.agent.core.Observation;
import io.vigil.agent.core.SyncRules;
import io.vigil.agent.pg.PostgresControl;
import io.vigil.agent.pg.PostgresException;
import io.vigil.cluster.ClusterView;
import io.vigil.config.HostPort;
import io.vigil.cluster.Member;
import io.vigil.cluster.TimelineSwitch;
import io.vigil.config.AgentConfig;
import io.vigil.config.ClusterSettings;
import io.vigil.store.ClusterStore;
import io.vigil.store.StoreException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The act step: carries out one {@link Action} of a plan against Postgres and etcd, and records in
 * the loop's memory what failed, for the next cycles' decisions.
 */
final class ActionRunner {
    private static final Logger log = LoggerFactory.getLogger(ActionRunner.class);

    private final AgentConfig cfg;
    private final ClusterStore store;
    private final PostgresControl pg;
    private final LeaderLease lease;
    private final LeaderKeyHolder keyHolder;
    private final Fencing fencing;
    private final Lessons lessons;
    private final LoopEvents events;
    private final Supplier<ClusterSettings> settings;
    private final Supplier<Map<String, Object>> clusterParameters;
    private final LongSupplier clock;
    private final Callbacks callbacks;

    ActionRunner(AgentConfig cfg, ClusterStore store, PostgresControl pg, LeaderLease lease, LeaderKeyHolder keyHolder,
                 Fencing fencing, Lessons lessons, LoopEvents events, Supplier<ClusterSettings> settings,
                 Supplier<Map<String, Object>> clusterParameters, LongSupplier clock, Callbacks callbacks) {
        this.cfg = cfg;
        this.store = store;
        this.pg = pg;
        this.lease = lease;
        this.keyHolder = keyHolder;
        this.fencing = fencing;
        this.lessons = lessons;
        this.events = events;
        this.settings = settings;
        this.clusterParameters = clusterParameters;
        this.clock = clock;
        this.callbacks = callbacks;
        registerHandlers();
    }

    /** Where what acting learned goes: the loop's {@link Memory}. */
    interface Lessons {
        void remember(java.util.function.UnaryOperator<Memory> change);

        default void record(java.util.function.UnaryOperator<FailedAttempts> change) {
            remember(m -> m.withAttempts(change.apply(m.attempts())));
        }
    }

    /**
     * Carries out {@code a} ({@code o}: with the memory as it is now); false when a compare-and-set in
     * etcd was lost (the rest of the plan is dropped).
     */
    boolean run(Action a, Observation o) {
        if (a.has(Action.Trait.ENDS_LEADERSHIP)) lease.clear();
        pg.files().setSyncStandbyNames(o.memory().syncStandbyNames());
        boolean ok = handler(a.getClass()).run(a, o);
        if (ok && a.has(Action.Trait.WRITES_CONF)) lessons.remember(m -> m.confWritten(o.parameters()));
        return ok;
    }

    /** One handler per kind of action; {@code ActionRunnerTest} checks that every kind has one. */
    private interface Handler<A extends Action> {
        boolean run(A action, Observation o);
    }

    private final Map<Class<? extends Action>, Handler<? extends Action>> handlers = new java.util.HashMap<>();

    private <A extends Action> void on(Class<A> type, Handler<A> h) {
        handlers.put(type, h);
    }

    @SuppressWarnings("unchecked")
    private Handler<Action> handler(Class<? extends Action> type) {
        Handler<Action> h = (Handler<Action>) handlers.get(type);
        if (h == null) throw new IllegalStateException("no handler for " + type.getSimpleName());
        return h;
    }

    /** The kinds of action this runner carries out. */
    java.util.Set<Class<? extends Action>> handled() {
        return java.util.Set.copyOf(handlers.keySet());
    }

    private void registerHandlers() {
        on(Action.ClaimInitialize.class, this::claimInitialize);
        on(Action.InitializeDatabase.class, this::initializeDatabase);
        on(Action.AdoptExistingData.class, this::adoptExistingData);
        on(Action.AcquireLeader.class, this::acquireLeader);
        on(Action.TakeOver.class, this::takeOver);
        on(Action.RenewLeader.class, this::renewLeader);
        on(Action.ReleaseLeader.class, this::releaseLeader);
        on(Action.PublishLeaderPosition.class, this::publishLeaderPosition);
        on(Action.SyncSlots.class, this::syncSlots);
        on(Action.AdvanceSlots.class, this::advanceSlots);
        on(Action.Promote.class, this::promote);
        on(Action.Demote.class, this::demote);
        on(Action.StopAtLeaseDeadline.class, this::stopAtLeaseDeadline);
        on(Action.StartPrimary.class, this::startPrimary);
        on(Action.StartReplica.class, this::startReplica);
        on(Action.Follow.class, this::follow);
        on(Action.Rewind.class, this::rewind);
        on(Action.Reclone.class, this::reclone);
        on(Action.HandOver.class, this::handOver);
        on(Action.RestartPostgres.class, this::restartPostgres);
        on(Action.ReloadPostgres.class, this::reloadPostgres);
        on(Action.WriteSync.class, this::writeSync);
        on(Action.SetSyncStandbys.class, this::setSyncStandbys);
        on(Action.ClearFailover.class, this::clearFailover);
        on(Action.Clone.class, this::cloneAndStart);
    }

    /** The cluster-wide Postgres parameters, less any value this node's Postgres refuses. */
    private Map<String, Object> params() {
        return clusterParameters.get();
    }

    private Duration startTimeout() {
        return Duration.ofSeconds(Math.max(60, settings.get().primaryStartTimeout()));
    }

    private boolean claimInitialize(Action.ClaimInitialize c, Observation o) {
        boolean won = keyHolder.claimInitialize();
        if (won) {
            store.initializeSettings(cfg.bootstrapSettings());
        }
        return won;
    }

    private boolean initializeDatabase(Action.InitializeDatabase i, Observation o) {
        // the bootstrap's own commits never wait for a standby; synchronous mode starts after it
        fencing.requireWatchdog();
        pg.files().setSyncStandbyNames(null);
        lessons.remember(m -> m.withSyncStandbyNames(null));
        try {
            String sysid = pg.bootstrap(params());
            store.completeInitialize(sysid);
            callbacks.started(Callbacks.PRIMARY);
            log.info("bootstrapped cluster {} (system identifier {})", cfg.scope(), sysid);
        } catch (RuntimeException e) {
            lessons.record(a -> a.bootstrapFailed(cfg.scope(), clock.getAsLong()));
            abandonBootstrap();
            throw e;
        }
        lessons.record(a -> a.bootstrapDone());
        return true;
    }

    private boolean adoptExistingData(Action.AdoptExistingData d, Observation o) {
        store.initializeSettings(cfg.bootstrapSettings());
        return store.completeInitialize(d.systemId());
    }

    private boolean acquireLeader(Action.AcquireLeader l, Observation o) {
        return keyHolder.acquire();
    }

    private boolean takeOver(Action.TakeOver t, Observation o) {
        boolean won = keyHolder.takeOver(t.oldLeader(), t.oldLeaseId(), t.leaderModRevision(), t.syncModRevision());
        if (won) log.warn("fast takeover: took the leader key from {} before its lease expired", t.oldLeader());
        return won;
    }

    private boolean renewLeader(Action.RenewLeader r, Observation o) {
        return keyHolder.renew();
    }

    private boolean releaseLeader(Action.ReleaseLeader r, Observation o) {
        if (o.downSinceNanos() != null) lessons.record(a -> a.failedAsPrimary(clock.getAsLong()));
        store.releaseLeader(cfg.name());
        return true;
    }

    private boolean publishLeaderPosition(Action.PublishLeaderPosition p, Observation o) {
        store.putStatus(p.lsn(), p.slots());
        return true;
    }

    private boolean advanceSlots(Action.AdvanceSlots a, Observation o) {
        pg.advanceSlots(a.to());
        return true;
    }

    private boolean syncSlots(Action.SyncSlots s, Observation o) {
        pg.syncSlots(s.toCreate(o.local().slots().keySet()), s.toDrop(o.local().slots().keySet()));
        return true;
    }

    private boolean promote(Action.Promote p, Observation o) {
        fencing.requireWatchdog();
        try {
            pg.promote(Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            lessons.record(a -> a.failedAsPrimary(clock.getAsLong()));
            throw e;
        }
        // The end-of-recovery checkpoint writes the new timeline to pg_control; pg_rewind reads it there.
        // Until then a former primary would be told "same timeline, no rewind required" and diverge.
        pg.checkpoint();
        log.info("promoted: this node is now the primary");
        callbacks.promoted();
        events.promoted(p.fastTakeover() != null);
        recordPromotion(p, o);
        return true;
    }

    private boolean demote(Action.Demote d, Observation o) {
        pg.stop(d.immediate() ? PostgresControl.StopMode.IMMEDIATE : PostgresControl.StopMode.FAST,
                Duration.ofSeconds(60));
        log.info("demoted: Postgres stopped; it will rejoin as a replica");
        events.demoted();
        return true;
    }

    private boolean stopAtLeaseDeadline(Action.StopAtLeaseDeadline a, Observation o) {
        fencing.stopPostgresNow();
        log.info("demoted at the lease deadline: Postgres stopped; it will rejoin as a replica");
        events.demoted();
        return true;
    }

    private boolean startPrimary(Action.StartPrimary s, Observation o) {
        if (!lease.held()) {
            throw new IllegalStateException("refusing to start as primary without a live leader lease");
        }
        fencing.requireWatchdog();
        pg.start(params(), false, null, null, startTimeout());
        callbacks.started(Callbacks.PRIMARY);
        return true;
    }

    private boolean startReplica(Action.StartReplica s, Observation o) {
        String leader = s.upstream() == null ? null : s.upstream().name();
        try {
            pg.start(params(), true, leader, address(s.upstream()), startTimeout());
        } catch (RuntimeException e) {
            lessons.record(a -> a.startAsReplicaFailed(leader));
            throw e;
        }
        callbacks.started(Callbacks.REPLICA);
        return true;
    }

    private boolean follow(Action.Follow f, Observation o) {
        pg.follow(params(), f.upstream().name(), address(f.upstream()));
        callbacks.reloaded(Callbacks.REPLICA);
        return true;
    }

    private boolean rewind(Action.Rewind r, Observation o) {
        pg.stop(PostgresControl.StopMode.FAST, Duration.ofSeconds(60));
        try {
            pg.rewind(address(r.source()));
            pg.start(params(), true, r.source().name(), address(r.source()), startTimeout());
        } catch (RuntimeException e) {
            lessons.record(a -> a.rewindFailed(r.source().name()));
            throw e;
        }
        callbacks.started(Callbacks.REPLICA);
        return true;
    }

    private boolean reclone(Action.Reclone r, Observation o) {
        pg.stop(PostgresControl.StopMode.FAST, Duration.ofSeconds(60));
        log.warn("old data directory moved to {}", pg.moveAside());
        lessons.record(a -> a.dataDiscarded());
        cloneFrom(r.source());
        pg.start(params(), true, r.source().name(), address(r.source()), startTimeout());
        callbacks.started(Callbacks.REPLICA);
        return true;
    }

    private boolean handOver(Action.HandOver h, Observation o) {
        handOverTo(h.candidate());
        events.handedOver();
        return true;
    }

    private boolean restartPostgres(Action.RestartPostgres r, Observation o) {
        pg.stop(PostgresControl.StopMode.FAST, Duration.ofSeconds(60));
        if (r.asPrimary()) {
            if (!lease.held()) throw new IllegalStateException("lost the leader lease during the restart");
            pg.start(params(), false, null, null, startTimeout());
        } else {
            pg.start(params(), true, r.upstream().name(), address(r.upstream()), startTimeout());
        }
        log.info("Postgres restarted on request");
        callbacks.restarted(r.asPrimary() ? Callbacks.PRIMARY : Callbacks.REPLICA);
        return true;
    }

    private boolean reloadPostgres(Action.ReloadPostgres r, Observation o) {
        pg.follow(params(), r.upstream() == null ? null : r.upstream().name(), address(r.upstream()));
        log.info("Postgres settings rewritten and reloaded");
        callbacks.reloaded(r.upstream() == null ? Callbacks.PRIMARY : Callbacks.REPLICA);
        return true;
    }

    private boolean writeSync(Action.WriteSync w, Observation o) {
        boolean ok = store.writeSync(cfg.name(), w.members(), w.expectedRevision());
        if (ok) log.info("sync key: leader {}, synchronous standbys {}", cfg.name(), w.members());
        return ok;
    }

    private boolean setSyncStandbys(Action.SetSyncStandbys w, Observation o) {
        String names = SyncRules.format(w.members());
        lessons.remember(m -> m.withSyncStandbyNames(names));   // even if the reload below fails
        if (!pg.setSyncStandbyNames(params(), names, settings.get().retryTimeoutDuration())) {
            log.warn("synchronous_standby_names = '{}' written and reloaded, but not yet in force", names);
        } else {
            log.info("synchronous_standby_names = '{}'", names);
        }
        return true;
    }

    private boolean clearFailover(Action.ClearFailover c, Observation o) {
        store.clearFailover();
        return true;
    }

    private boolean cloneAndStart(Action.Clone c, Observation o) {
        cloneFrom(c.source());
        pg.start(params(), true, c.source().name(), address(c.source()), startTimeout());
        callbacks.started(Callbacks.REPLICA);
        return true;
    }

    /**
     * pg_basebackup from {@code source}; until the copy has run as a replica, a failed start is
     * retried, not recloned. A failure is counted for the pause before the next clone.
     */
    private void cloneFrom(Member source) {
        lessons.record(a -> a.cloneStarting());
        try {
            pg.cloneFrom(address(source));
        } catch (RuntimeException e) {
            lessons.record(a -> a.cloneFailed(source.name(), clock.getAsLong()));
            throw e;
        }
        lessons.record(a -> a.cloneDone(source.name()));
    }

    /** Planned switchover, leader side. Loses no acknowledged write: the candidate has all WAL before the key goes. */
    private void handOverTo(Member candidate) {
        long started = clock.getAsLong();
        pg.checkpoint();
        pg.stop(PostgresControl.StopMode.FAST, Duration.ofSeconds(60));
        io.vigil.cluster.Lsn shutdownAt = pg.observe().walPosition();
        long deadline = clock.getAsLong() + Duration.ofSeconds(10).toNanos();
        io.vigil.cluster.Lsn received = null;
        while (clock.getAsLong() < deadline) {
            received = pg.remoteReceiveLsn(address(candidate));
            if (received != null && received.compareTo(shutdownAt) > 0) break;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (received == null || received.compareTo(shutdownAt) <= 0) {
            log.error("switchover aborted: {} has WAL up to {}, not past our shutdown checkpoint {}; staying primary",
                    candidate.name(), received, shutdownAt);
            pg.start(params(), false, null, null, startTimeout());
            store.clearFailover();
            throw new IllegalStateException("switchover aborted: " + candidate.name() + " did not receive the final WAL");
        }
        lease.clear();
        store.releaseLeader(cfg.name());
        log.info("handed over to {} after {} ms: it has WAL up to {} (our shutdown checkpoint {})", candidate.name(),
                (clock.getAsLong() - started) / 1_000_000, received, shutdownAt);
    }

    private void abandonBootstrap() {
        try {
            store.abandonInitialize();
            store.releaseLeader(cfg.name());
        } catch (StoreException e) {
            log.warn("could not undo the bootstrap claim in etcd: {}", e.getMessage());
        }
        lease.clear();
        pg.stop(PostgresControl.StopMode.IMMEDIATE, Duration.ofSeconds(10));
        try {
            java.nio.file.Path emptied = pg.discardFailedBootstrap();
            if (emptied != null) {
                log.warn("emptied {}: the failed bootstrap's own initdb, which never served the cluster", emptied);
            }
        } catch (PostgresException e) {
            log.warn("{}", e.getMessage());
        }
    }

    private void recordPromotion(Action.Promote p, Observation o) {
        ClusterView seen = o.cluster().orElse(null);
        if (seen == null) return;
        long[] sw = pg.lastTimelineSwitch();
        String reason = p.fastTakeover() == null ? "no recovery target specified" : "fast takeover: " + p.fastTakeover();
        TimelineSwitch entry = new TimelineSwitch(sw == null ? p.oldTimeline() : sw[0], sw == null ? p.lsn() : sw[1],
                reason, OffsetDateTime.now().toString(), cfg.name());
        try {
            if (!store.appendHistory(entry, seen)) {
                log.warn("history changed concurrently; timeline switch {} not recorded", p.oldTimeline());
            }
        } catch (StoreException e) {
            log.warn("could not record the timeline switch in etcd: {}", e.getMessage());
        }
    }

    static HostPort address(Member m) {
        return m == null ? null : HostPort.fromUrl(m.connUrl());
    }
}
