package io.vigil.agent.ha;

import io.vigil.agent.core.Action;
import io.vigil.agent.core.CommandOutcome;
import io.vigil.agent.core.Decider;
import io.vigil.agent.core.FastTakeover;
import io.vigil.agent.core.LocalPostgres;
import io.vigil.agent.core.Memory;
import io.vigil.agent.core.NodeCommand;
import io.vigil.agent.core.NodeRole;
import io.vigil.agent.core.Observation;
import io.vigil.agent.core.Plan;
import io.vigil.agent.peers.PeerClient;
import io.vigil.agent.pg.PostgresControl;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Member;
import io.vigil.cluster.PeerStatus;
import io.vigil.config.AgentConfig;
import io.vigil.config.ClusterSettings;
import io.vigil.store.ClusterStore;
import io.vigil.store.StoreException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's loop: observe → {@link Decider#decide} → act, every loop_wait and at once when the
 * leader key changes or the postmaster dies. Acting is {@link ActionRunner}'s; beside the loop run
 * {@link PostmasterMonitor} (wakes it within 200 ms of a crash), {@link Fencing} (stops a primary
 * whose lease deadline passes, even if the loop is stuck) and {@link LeaderKeyHolder}'s renewals.
 */
public final class HaLoop implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HaLoop.class);
    public static final String VERSION = "0.1.0";
    /** Cycles that may follow one another at once before the loop waits loop_wait anyway. */
    private static final int MAX_CYCLES_AT_ONCE = 10;

    private final AgentConfig cfg;
    private final ClusterStore store;
    private final PostgresControl pg;
    private final PeerClient peers;
    private final LongSupplier clock;
    private final LongSupplier wallClock = System::currentTimeMillis;
    private final LeaderLease lease;
    private final Fencing fencing;
    private final PostmasterMonitor postmasterMonitor;
    private final ActionRunner actions;
    private final Semaphore wake = new Semaphore(0);
    private final AtomicReference<NodeStatus> status = new AtomicReference<>();
    private final LeaderKeyHolder keyHolder;
    private final MemberKeyWriter memberKey;

    private volatile boolean stopping;
    private Thread thread;
    private volatile ClusterSettings settings;
    /** What each cycle hands to the next; the loop thread's. */
    private Memory memory = Memory.START;
    private NodeRole lastRole;
    private String lastDecision;
    /** The current cycle's timings; loop thread only. */
    private CycleTimes times = new CycleTimes();
    /** The action the loop is executing now, or null: Postgres stopping during it is expected. */
    private volatile Action acting;

    private final AutoCloseable onClose;
    private final LoopEvents events;
    private final OperatorInbox inbox = new OperatorInbox(this::wakeUp, wallClock);
    private final NodeConfigReload nodeConfig;
    private final Callbacks callbacks;
    private final ClusterReader reader;
    private final SyncStandbyWatch syncWatch;
    private final LeaderWatch leaderWatch;
    private final ClusterConfigEditor configEditor;
    private final Failsafe failsafe;
    private final ParameterGuard parameterGuard = new ParameterGuard();
    /** The cluster-wide Postgres parameters this node writes: the guard's pick of the settings' ones. */
    private volatile Map<String, Object> clusterParameters = Map.of();

    /**
     * {@code rereadConfig} reads the node config file again (POST /reload); {@code onClose} is closed
     * last when the loop shuts down (normally the store's client).
     */
    public HaLoop(AgentConfig cfg, ClusterStore store, PostgresControl pg, PeerClient peers, LongSupplier clock,
                  LoopEvents events, Supplier<AgentConfig> rereadConfig, AutoCloseable onClose) {
        this.onClose = onClose;
        this.events = events;
        this.cfg = cfg;
        this.store = store;
        this.pg = pg;
        this.callbacks = new Callbacks(cfg.scope(), cfg.callbacks(), Duration.ofSeconds(cfg.callbackTimeoutSeconds()),
                cfg.secretValues());
        this.nodeConfig = new NodeConfigReload(cfg, rereadConfig, pg.files(), callbacks);
        this.peers = peers;
        this.clock = clock;
        this.settings = cfg.bootstrapSettings();
        this.lease = new LeaderLease(this::leaseMoved);
        this.memberKey = new MemberKeyWriter(store);
        this.reader = new ClusterReader(store, memberKey, clock, this::wakeUp, events);
        this.keyHolder = new LeaderKeyHolder(cfg.name(), store, lease, clock, () -> settings,
                () -> cfg.watchdog().marginSeconds(settings.ttl()), this::wakeUp);
        this.fencing = new Fencing(cfg, lease, keyHolder, () -> settings, pg, clock, this::wakeUp);
        this.postmasterMonitor = new PostmasterMonitor(pg, clock, () -> acting, this::wakeUp);
        this.syncWatch = new SyncStandbyWatch(pg.replicationWatch(), clock, this::wakeUp);
        this.leaderWatch = new LeaderWatch(new io.vigil.agent.pg.WalReceiver(pg::postmasterPid),
                api -> peers.alive(api, LeaderWatch.PROBE_TIMEOUT), clock, this::wakeUp);
        this.configEditor = new ClusterConfigEditor(store, pg);
        this.failsafe = new Failsafe(cfg, peers, lease, () -> settings, clock);
        this.actions = new ActionRunner(cfg, store, pg, lease, keyHolder, fencing, this::remember, events,
                () -> settings, () -> clusterParameters, clock, callbacks);
    }

    public NodeStatus status() {
        NodeStatus s = status.get();
        return s == null ? null : s.withLeaderUntil(lease.untilNanos());
    }

    public void start() {
        thread = new Thread(this::run, "vigil-ha-loop");
        thread.start();
        postmasterMonitor.start();
        syncWatch.start();
        leaderWatch.start();
        fencing.start();
    }

    /**
     * Submits a switchover/failover request; the loop writes it to etcd on its next cycle (at once).
     * Completes with false when another request is already pending.
     */
    public CompletableFuture<Boolean> requestFailover(io.vigil.cluster.FailoverRequest request) {
        return inbox.inLoop(() -> store.requestFailover(request, request.scheduledAt() == null ? settings.ttl() : 0));
    }

    /** Runs {@code f} on a fresh etcd read, in the loop thread at its next cycle (at once). */
    public <T> CompletableFuture<T> withFreshView(java.util.function.Function<ClusterView, T> f) {
        return inbox.inLoop(() -> f.apply(store.read()));
    }

    /** Cancels a pending (scheduled) switchover. */
    public CompletableFuture<Boolean> cancelFailover() {
        return inbox.inLoop(() -> {
            store.clearFailover();
            return true;
        });
    }

    /** Hands an operator command to the loop; one at a time per node. */
    public CompletableFuture<CommandOutcome> submit(NodeCommand c) {
        return inbox.submit(c);
    }

    /** Schedules a restart; false when one is already scheduled. */
    public boolean scheduleRestart(NodeCommand.Restart r, OffsetDateTime at) {
        return inbox.schedule(r, at);
    }

    /** Cancels the scheduled restart; false when none was scheduled. */
    public boolean cancelScheduledRestart() {
        return inbox.cancelScheduled();
    }

    /**
     * PATCH (merge) or PUT (replace) of the cluster-wide settings, compare-and-set on the config
     * key's revision ({@code ifRevision}: the revision the client saw, 0: the one read now).
     * Completes with the stored JSON, or with {@link io.vigil.config.ConfigException} (invalid),
     * {@link io.vigil.config.ConfigEdit.Conflict} (changed meanwhile) or {@link StoreException}.
     */
    public CompletableFuture<io.vigil.config.ConfigEdit.Applied> editConfig(String body, boolean replace,
                                                                          long ifRevision) {
        return inbox.inLoop(() -> {
            ClusterConfigEditor.Edited edited = configEditor.edit(body, replace, ifRevision);
            settings = edited.settings();
            return edited.applied();
        });
    }

    /** POST /failsafe from a primary that cannot reach etcd: null when accepted, else why not. */
    public String acceptFailsafe(String leader) {
        NodeStatus s = status.get();
        return failsafe.accept(leader, s != null && s.local().isRunningPrimary());
    }

    public void wakeUp() {
        wake.release();
    }

    private void run() {
        int atOnce = 0;
        while (!stopping) {
            boolean again;
            try {
                again = cycle();
            } catch (RuntimeException e) {
                log.error("HA cycle failed unexpectedly: {}", e.toString(), e);
                again = false;
            } catch (Error e) {
                // The loop cannot go on. Exit through the shutdown hook: it stops Postgres and hands over.
                log.error("fatal error in the HA loop, exiting: {}", e.toString());
                new Thread(() -> System.exit(70), "vigil-fatal-exit").start();
                return;
            }
            if (stopping) break;
            atOnce = again ? atOnce + 1 : 0;
            if (atOnce > MAX_CYCLES_AT_ONCE) {
                log.warn("{} cycles in a row acted without settling; waiting loop_wait before the next", atOnce - 1);
                atOnce = 0;
                again = false;
            }
            try {
                long waitMs = again ? 0 : Math.min(settings.loopWaitDuration().toMillis(), untilEvidenceMaturesMillis());
                if (wake.tryAcquire(waitMs, TimeUnit.MILLISECONDS)) {
                    wake.drainPermits();
                }
            } catch (InterruptedException e) {
                break;
            }
        }
    }

    /** Milliseconds until a member's evidence against the leader is old enough for a fast takeover (rounded up). */
    private long untilEvidenceMaturesMillis() {
        if (reader.lastView() == null) return Long.MAX_VALUE;
        long left = FastTakeover.nanosUntilNextMark(settings, reader.lastView(), memory, clock.getAsLong(),
                wallClock.getAsLong());
        return left == Long.MAX_VALUE ? Long.MAX_VALUE : left / 1_000_000 + 1;
    }

    /** One observe → decide → act cycle. Returns true when the next cycle should follow at once. */
    boolean cycle() {
        long started = clock.getAsLong();
        times = new CycleTimes();
        try {
            return runCycle();
        } finally {
            Duration took = Duration.ofNanos(clock.getAsLong() - started);
            boolean overran = took.compareTo(settings.loopWaitDuration()) > 0;
            if (overran) log.warn(times.describe(took, settings.loopWaitDuration()));
            events.cycle(took, overran);
            keyHolder.cycleEnded();
        }
    }

    private boolean runCycle() {
        inbox.runRequests();
        OperatorInbox.Pending pc = nodeConfig.before(inbox.take());
        long observeStarted = clock.getAsLong();
        Observation seen = observe(pc == null ? null : pc.command());
        times.observe(clock.getAsLong() - observeStarted);
        Decider.Decision decision = Decider.next(seen);
        memory = decision.memory();
        Observation o = seen.withMemory(memory);
        Plan plan = decision.plan();
        if (!memberKey.published()) {
            // Before the first actions (starting Postgres takes seconds): peers electing a leader must see this
            // member and its data's position, or a less advanced one could win while we start (all nodes rebooted).
            publish(o, plan, null);
        }
        if (pc != null && plan.refusal() == null && plan.contains(Action.Reclone.class)) {
            pc.done().complete(CommandOutcome.of(CommandOutcome.Kind.STARTED, plan.reason()));
        }
        if (!plan.reason().equals(lastDecision)) {
            log.info("decision: {}{}", plan.reason(), plan.actions().isEmpty() ? "" : " " + names(plan));
            lastDecision = plan.reason();
        }
        String error = null;
        boolean allDone = true;
        for (Action a : plan.actions()) {
            long actStarted = clock.getAsLong();
            try {
                keyHolder.busy(lease.held() && a.has(Action.Trait.OUTLASTS_LEASE));
                acting = a;
                if (!execute(a, o)) {
                    log.info("{} did not succeed (compare-and-set lost); the rest of the plan is dropped",
                            a.getClass().getSimpleName());
                    allDone = false;
                    break;
                }
            } catch (RuntimeException e) {
                error = a.getClass().getSimpleName() + ": " + e.getMessage();
                log.error("{} failed: {}", a.getClass().getSimpleName(), e.getMessage());
                allDone = false;
                break;
            } finally {
                keyHolder.busy(false);
                acting = null;
                times.action(a.getClass().getSimpleName(), clock.getAsLong() - actStarted);
            }
        }
        publish(o, plan, error);
        if (pc != null) OperatorInbox.answer(pc, plan, error, allDone);
        return allDone && plan.actions().stream().anyMatch(a -> a.has(Action.Trait.NEXT_CYCLE_AT_ONCE));
    }

    /** The Postgres parameters vigil.conf should carry now, synchronous_standby_names aside: cluster-wide, then our own. */
    private Map<String, Object> confParameters() {
        Map<String, Object> p = new java.util.LinkedHashMap<>(clusterParameters);
        p.putAll(pg.files().localParameters());
        return p;
    }

    private static List<String> names(Plan p) {
        return p.actions().stream().map(a -> a.getClass().getSimpleName()).toList();
    }

    // ---------------------------------------------------------------- observe

    private Observation observe(NodeCommand command) {
        Optional<ClusterView> view = reader.read(settings.ttl(), times);
        view.map(ClusterView::settings).ifPresent(s -> settings = s);
        clusterParameters = FastTakeoverParameters.apply(settings,
                parameterGuard.apply(settings.postgresql().parameters(), pg::parameterProblems));
        long pgStarted = clock.getAsLong();
        LocalPostgres local = pg.observe();
        long now = clock.getAsLong();
        times.postgres(now - pgStarted);
        Map<String, PeerStatus> peerStatus = Map.of();
        if (view.isPresent()) {
            ClusterView v = view.get();
            boolean namedCandidate = v.failover().map(f -> f.member().equals(cfg.name())).orElse(false);
            if (v.leader().isEmpty() && local.isRunningReplica() && !namedCandidate) {
                List<Member> others = v.members().values().stream().filter(m -> !m.name().equals(cfg.name())).toList();
                peerStatus = peers.fetch(others);
            }
        }
        boolean failsafeConfirmed = view.isEmpty() && failsafe.confirm(local.isRunningPrimary(), reader.lastView());
        String failsafeLeader = failsafe.leaderHeard(now);
        java.util.Set<String> syncConfirmed = lease.held() && local.isRunningPrimary() ? syncWatch.confirmed() : java.util.Set.of();
        return new Observation(cfg.name(), nodeConfig.tags(), settings, view, local, peerStatus, now, wallClock.getAsLong(),
                lease.untilNanos(), memory, command, confParameters(), syncConfirmed, failsafeConfirmed, failsafeLeader,
                fencing.watchdogProblem());
    }

    /** What acting learned (a failed rejoin, clone or bootstrap, what vigil.conf now carries) goes into the memory. */
    private void remember(java.util.function.UnaryOperator<Memory> change) {
        memory = change.apply(memory);
    }

    // ---------------------------------------------------------------- act

    private boolean execute(Action a, Observation o) {
        try {
            return actions.run(a, o.withMemory(memory));   // with what earlier actions of the plan learned
        } finally {
            if (a instanceof Action.SetSyncStandbys) syncWatch.namesChanged();   // even half done
        }
    }

    // ---------------------------------------------------------------- publish

    private void publish(Observation o, Plan plan, String error) {
        // a fresh look only when an action touched Postgres: each look is several queries
        LocalPostgres local = plan.actions().stream().allMatch(a -> a.has(Action.Trait.ETCD_ONLY)) ? o.local() : pg.observe();
        boolean holdsKey = lease.held();
        NodeRole role = NodeRole.of(local, holdsKey);
        if (lastRole != null && role != lastRole) {
            String why = lastRole.transitionTo(role);
            if (why == null) {
                log.error("unexpected role transition from {} to {}", lastRole, role);
            } else {
                log.info("role transition from {} to {}: {}", lastRole, role, why);
            }
        }
        lastRole = role;
        if (local.running() && local.accepting()) callbacks.seen(local.inRecovery() ? Callbacks.REPLICA : Callbacks.PRIMARY);
        if (o.cluster().isPresent()) {
            try {
                Member me = MemberKey.of(cfg, nodeConfig.tags(), local, holdsKey, fencing.watchdogProblem() != null,
                        parameterGuard.describeRefusals(), leaderWatch.published(), o.settings().paused(), inbox.scheduled(),
                        settings.permanentPhysicalSlots());
                memberKey.publish(me, o.cluster().get());
            } catch (StoreException e) {
                log.warn("could not publish member key: {}", e.getMessage());
            }
        }
        leaderWatch.target(o.cluster().map(v -> LeaderWatch.Target.of(v, cfg.name(), settings)).orElse(null));
        boolean leadsSynchronously = holdsKey && local.isRunningPrimary() && settings.synchronous() && o.cluster().isPresent();
        syncWatch.target(leadsSynchronously
                ? SyncStandbyWatch.Target.of(o.cluster().get(), cfg.name(), local.syncStandbyNames(), settings) : null);
        status.set(new NodeStatus(cfg.scope(), cfg.name(), role, holdsKey, local, o.cluster(), settings, nodeConfig.tags(),
                plan.reason(), names(plan), error, clock.getAsLong(), lease.untilNanos(), reader.lastSeenEpochSeconds(),
                inbox.scheduled(), o.failsafeConfirmed() || o.failsafeLeader() != null,
                java.util.Objects.requireNonNullElse(parameterGuard.describeRefusals(), Map.of()),
                reader.lastKnown(o.cluster(), settings.ttlDuration())));
    }

    // ---------------------------------------------------------------- side threads

    /** Every new lease deadline (0: no longer leading): the fence and the renewals beside the loop follow it. */
    private void leaseMoved(long untilNanos) {
        fencing.leaseMoved(untilNanos);
        keyHolder.leading(untilNanos != 0);
    }

    // ---------------------------------------------------------------- shutdown

    /** Graceful stop: a leader shuts Postgres down cleanly (replicas receive all WAL), then hands the key over. */
    @Override
    public void close() {
        stopping = true;
        wakeUp();
        fencing.close();
        postmasterMonitor.close();
        syncWatch.close();
        leaderWatch.close();
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(90).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        boolean wasLeader = lease.held();
        keyHolder.busy(true);   // keep the key while Postgres shuts down, so replicas get its last WAL first
        pg.stop(PostgresControl.StopMode.FAST, Duration.ofSeconds(60));
        callbacks.stopped();
        lease.close();
        keyHolder.close();
        try {
            if (wasLeader) {
                keyHolder.handOverAfterStop(pg.observe());
                log.info("released the leader key after a clean shutdown");
            }
            memberKey.revoke();
        } catch (StoreException e) {
            log.warn("could not hand over in etcd ({}); the lease will expire on its own", e.getMessage());
        }
        reader.close();
        pg.close();
        try {
            onClose.close();
        } catch (Exception e) {
            log.debug("closing: {}", e.toString());
        }
    }
}
