package io.vigil.agent.ha;

import io.vigil.agent.pg.PostgresControl;
import io.vigil.agent.pg.PostgresException;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.HostPort;
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
 * {@link FailedAttempts} what failed for the next cycles' decisions.
 */
final class ActionRunner {
    private static final Logger log = LoggerFactory.getLogger(ActionRunner.class);

    private final AgentConfig cfg;
    private final ClusterStore store;
    private final PostgresControl pg;
    private final LeaderLease lease;
    private final LeaderKeyHolder keyHolder;
    private final Fencing fencing;
    private final FailedAttempts attempts;
    private final LoopEvents events;
    private final Supplier<ClusterSettings> settings;
    private final Supplier<Map<String, Object>> clusterParameters;
    private final LongSupplier clock;

    ActionRunner(AgentConfig cfg, ClusterStore store, PostgresControl pg, LeaderLease lease, LeaderKeyHolder keyHolder,
                 Fencing fencing, FailedAttempts attempts, LoopEvents events, Supplier<ClusterSettings> settings,
                 Supplier<Map<String, Object>> clusterParameters, LongSupplier clock) {
        this.cfg = cfg;
        this.store = store;
        this.pg = pg;
        this.lease = lease;
        this.keyHolder = keyHolder;
        this.fencing = fencing;
        this.attempts = attempts;
        this.events = events;
        this.settings = settings;
        this.clusterParameters = clusterParameters;
        this.clock = clock;
    }

    /** Carries out {@code a}; false when a compare-and-set in etcd was lost (the rest of the plan is dropped). */
    boolean run(Action a, Observation o) {
        ClusterSettings settings = this.settings.get();
        Map<String, Object> params = clusterParameters.get();   // less any value this node's Postgres refuses
        Duration startTimeout = Duration.ofSeconds(Math.max(60, settings.primaryStartTimeout()));
        if (a instanceof Action.ClaimInitialize c) {
            boolean won = keyHolder.claimInitialize();
            if (won) {
                store.initializeSettings(cfg.bootstrapSettings());
            }
            return won;
        }
        if (a instanceof Action.InitializeDatabase i) {
            // the bootstrap's own commits never wait for a standby; synchronous mode starts after it
            fencing.requireWatchdog();
            pg.files().setSyncStandbyNames(null);
            try {
                String sysid = pg.bootstrap(params);
                store.completeInitialize(sysid);
                log.info("bootstrapped cluster {} (system identifier {})", cfg.scope(), sysid);
            } catch (RuntimeException e) {
                attempts.bootstrapFailed(cfg.scope(), clock.getAsLong());
                abandonBootstrap();
                throw e;
            }
            attempts.bootstrapDone();
            return true;
        }
        if (a instanceof Action.AdoptExistingData d) {
            store.initializeSettings(cfg.bootstrapSettings());
            return store.completeInitialize(d.systemId());
        }
        if (a instanceof Action.AcquireLeader l) {
            return keyHolder.acquire();
        }
        if (a instanceof Action.RenewLeader r) {
            boolean ours = keyHolder.renew();
            if (!ours) lease.clear();
            return ours;
        }
        if (a instanceof Action.ReleaseLeader r) {
            if (o.downSinceNanos() != null) attempts.failedAsPrimary(clock.getAsLong());
            lease.clear();
            store.releaseLeader(cfg.name());
            return true;
        }
        if (a instanceof Action.PublishLeaderPosition p) {
            store.putStatus(p.lsn());
            return true;
        }
        if (a instanceof Action.SyncSlots s) {
            pg.syncSlots(s.toCreate(o.local().slots()), s.toDrop(o.local().slots()));
            return true;
        }
        if (a instanceof Action.Promote p) {
            fencing.requireWatchdog();
            try {
                pg.promote(Duration.ofSeconds(60));
            } catch (RuntimeException e) {
                attempts.failedAsPrimary(clock.getAsLong());
                throw e;
            }
            // The end-of-recovery checkpoint writes the new timeline to pg_control; pg_rewind reads it there.
            // Until then a former primary would be told "same timeline, no rewind required" and diverge.
            pg.checkpoint();
            log.info("promoted: this node is now the primary");
            events.promoted();
            recordPromotion(p, o);
            return true;
        }
        if (a instanceof Action.Demote d) {
            lease.clear();
            pg.stop(d.immediate() ? PostgresControl.StopMode.IMMEDIATE : PostgresControl.StopMode.FAST,
                    Duration.ofSeconds(60));
            log.info("demoted: Postgres stopped; it will rejoin as a replica");
            events.demoted();
            return true;
        }
        if (a instanceof Action.StopAtLeaseDeadline) {
            lease.clear();
            fencing.stopPostgresNow();
            log.info("demoted at the lease deadline: Postgres stopped; it will rejoin as a replica");
            events.demoted();
            return true;
        }
        if (a instanceof Action.StartPrimary s) {
            if (!lease.held()) {
                throw new IllegalStateException("refusing to start as primary without a live leader lease");
            }
            fencing.requireWatchdog();
            pg.start(params, false, null, null, startTimeout);
            return true;
        }
        if (a instanceof Action.StartReplica s) {
            String leader = s.upstream() == null ? null : s.upstream().name();
            try {
                pg.start(params, true, leader, address(s.upstream()), startTimeout);
            } catch (RuntimeException e) {
                attempts.startAsReplicaFailed(leader);
                throw e;
            }
            return true;
        }
        if (a instanceof Action.Follow f) {
            pg.follow(params, f.upstream().name(), address(f.upstream()));
            return true;
        }
        if (a instanceof Action.Rewind r) {
            pg.stop(PostgresControl.StopMode.FAST, Duration.ofSeconds(60));
            try {
                pg.rewind(address(r.source()));
                pg.start(params, true, r.source().name(), address(r.source()), startTimeout);
            } catch (RuntimeException e) {
                attempts.rewindFailed(r.source().name());
                throw e;
            }
            return true;
        }
        if (a instanceof Action.Reclone r) {
            pg.stop(PostgresControl.StopMode.FAST, Duration.ofSeconds(60));
            log.warn("old data directory moved to {}", pg.moveAside());
            attempts.dataDiscarded();
            cloneFrom(r.source());
            pg.start(params, true, r.source().name(), address(r.source()), startTimeout);
            return true;
        }
        if (a instanceof Action.HandOver h) {
            handOver(h.candidate(), params, startTimeout);
            events.handedOver();
            return true;
        }
        if (a instanceof Action.RestartPostgres r) {
            pg.stop(PostgresControl.StopMode.FAST, Duration.ofSeconds(60));
            if (r.asPrimary()) {
                if (!lease.held()) throw new IllegalStateException("lost the leader lease during the restart");
                pg.start(params, false, null, null, startTimeout);
            } else {
                pg.start(params, true, r.upstream().name(), address(r.upstream()), startTimeout);
            }
            log.info("Postgres restarted on request");
            return true;
        }
        if (a instanceof Action.ReloadPostgres r) {
            pg.follow(params, r.upstream() == null ? null : r.upstream().name(), address(r.upstream()));
            log.info("Postgres settings rewritten and reloaded");
            return true;
        }
        if (a instanceof Action.WriteSync w) {
            boolean ok = store.writeSync(cfg.name(), w.members(), w.expectedRevision());
            if (ok) log.info("sync key: leader {}, synchronous standbys {}", cfg.name(), w.members());
            return ok;
        }
        if (a instanceof Action.SetSyncStandbys w) {
            String names = SyncRules.format(w.members());
            if (!pg.setSyncStandbyNames(params, names, settings.retryTimeoutDuration())) {
                log.warn("synchronous_standby_names = '{}' written and reloaded, but not yet in force", names);
            } else {
                log.info("synchronous_standby_names = '{}'", names);
            }
            return true;
        }
        if (a instanceof Action.ClearFailover c) {
            store.clearFailover();
            return true;
        }
        if (a instanceof Action.Clone c) {
            cloneFrom(c.source());
            pg.start(params, true, c.source().name(), address(c.source()), startTimeout);
            return true;
        }
        throw new IllegalStateException("no handler for " + a);
    }

    /**
     * pg_basebackup from {@code source}; until the copy has run as a replica, a failed start is
     * retried, not recloned. A failure is counted for the pause before the next clone.
     */
    private void cloneFrom(Member source) {
        attempts.cloneStarting();
        try {
            pg.cloneFrom(address(source));
        } catch (RuntimeException e) {
            attempts.cloneFailed(source.name(), clock.getAsLong());
            throw e;
        }
        attempts.cloneDone(source.name());
    }

    /** Planned switchover, leader side. Loses no acknowledged write: the candidate has all WAL before the key goes. */
    private void handOver(Member candidate, Map<String, Object> params, Duration startTimeout) {
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
            pg.start(params, false, null, null, startTimeout);
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
        TimelineSwitch entry = new TimelineSwitch(sw == null ? p.oldTimeline() : sw[0], sw == null ? p.lsn() : sw[1],
                "no recovery target specified", OffsetDateTime.now().toString(), cfg.name());
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
