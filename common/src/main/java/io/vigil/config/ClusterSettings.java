package io.vigil.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cluster-wide settings, Patroni's knob names. Seeded from {@code bootstrap.dcs} in the node file,
 * then read from etcd's {@code config} key: etcd wins once the cluster exists.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ClusterSettings(
        @JsonProperty("ttl") Integer ttl,
        @JsonProperty("loop_wait") Integer loopWait,
        @JsonProperty("retry_timeout") Integer retryTimeout,
        @JsonProperty("maximum_lag_on_failover") Long maximumLagOnFailover,
        @JsonProperty("member_slots_ttl") Integer memberSlotsTtl,
        @JsonProperty("primary_start_timeout") Integer primaryStartTimeout,
        @JsonProperty("postgresql") PostgresSettings postgresql,
        @JsonProperty("pause") Boolean pause,
        @JsonProperty("synchronous_mode") Boolean synchronousMode,
        @JsonProperty("synchronous_mode_strict") Boolean synchronousModeStrict,
        @JsonProperty("synchronous_node_count") Integer synchronousNodeCount,
        @JsonProperty("maximum_lag_on_syncnode") Long maximumLagOnSyncnode,
        @JsonProperty("failsafe_mode") Boolean failsafeMode,
        @JsonProperty("check_timeline") Boolean checkTimeline,
        @JsonProperty("fast_takeover") Boolean fastTakeover,
        @JsonProperty("unreachable_for") Integer unreachableFor,
        @JsonProperty("slots") Map<String, PermanentSlot> slots,
        @JsonProperty("ignore_slots") List<PermanentSlot.Ignored> ignoreSlots) {

    /** Set by Vigil from the node config and the member's address; refused in postgresql.parameters. */
    public static final java.util.Set<String> MANAGED_PARAMETERS = java.util.Set.of("listen_addresses", "port",
            "unix_socket_directories", "cluster_name", "primary_conninfo", "primary_slot_name",
            "recovery_target_timeline");

    /** The Postgres part of the cluster-wide settings. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PostgresSettings(
            @JsonProperty("use_slots") Boolean useSlots,
            @JsonProperty("use_pg_rewind") Boolean usePgRewind,
            @JsonProperty("parameters") Map<String, Object> parameters) {
        public PostgresSettings {
            useSlots = useSlots == null ? Boolean.TRUE : useSlots;
            usePgRewind = usePgRewind == null ? Boolean.TRUE : usePgRewind;
            parameters = parameters == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(parameters));
        }
    }

    public ClusterSettings {
        ttl = ttl == null ? 30 : ttl;
        loopWait = loopWait == null ? 10 : loopWait;
        retryTimeout = retryTimeout == null ? 10 : retryTimeout;
        maximumLagOnFailover = maximumLagOnFailover == null ? 1_048_576L : maximumLagOnFailover;
        memberSlotsTtl = memberSlotsTtl == null ? 1800 : memberSlotsTtl;
        primaryStartTimeout = primaryStartTimeout == null ? 30 : primaryStartTimeout;
        postgresql = postgresql == null ? new PostgresSettings(null, null, null) : postgresql;
        pause = pause != null && pause;
        synchronousMode = synchronousMode != null && synchronousMode;
        synchronousModeStrict = synchronousModeStrict != null && synchronousModeStrict;
        synchronousNodeCount = synchronousNodeCount == null ? 1 : synchronousNodeCount;
        maximumLagOnSyncnode = maximumLagOnSyncnode == null ? -1L : maximumLagOnSyncnode;
        failsafeMode = failsafeMode != null && failsafeMode;
        checkTimeline = checkTimeline != null && checkTimeline;
        fastTakeover = fastTakeover == null || fastTakeover;
        unreachableFor = unreachableFor == null ? 2 : unreachableFor;
        Map<String, PermanentSlot> slotsOrPhysical = new java.util.TreeMap<>();
        if (slots != null) slots.forEach((k, v) -> slotsOrPhysical.put(k, v == null ? PermanentSlot.PHYSICAL : v));
        slots = java.util.Collections.unmodifiableMap(slotsOrPhysical);
        ignoreSlots = ignoreSlots == null ? List.of() : java.util.Collections.unmodifiableList(new ArrayList<>(ignoreSlots));
    }

    /** Settings without permanent slots. */
    public ClusterSettings(Integer ttl, Integer loopWait, Integer retryTimeout, Long maximumLagOnFailover,
                           Integer memberSlotsTtl, Integer primaryStartTimeout, PostgresSettings postgresql, Boolean pause,
                           Boolean synchronousMode, Boolean synchronousModeStrict, Integer synchronousNodeCount,
                           Long maximumLagOnSyncnode, Boolean failsafeMode, Boolean checkTimeline, Boolean fastTakeover,
                           Integer unreachableFor) {
        this(ttl, loopWait, retryTimeout, maximumLagOnFailover, memberSlotsTtl, primaryStartTimeout, postgresql, pause,
                synchronousMode, synchronousModeStrict, synchronousNodeCount, maximumLagOnSyncnode, failsafeMode,
                checkTimeline, fastTakeover, unreachableFor, null, null);
    }

    /** The permanent physical slots' names. */
    public java.util.Set<String> permanentPhysicalSlots() {
        java.util.Set<String> names = new java.util.TreeSet<>();
        slots.forEach((name, s) -> {
            if (s.physical()) names.add(name);
        });
        return names;
    }

    /** Whether ignore_slots protects the physical slot {@code slot} from being dropped. */
    public boolean ignoresPhysical(String slot) {
        return ignoreSlots.stream().anyMatch(i -> i != null && i.matchesPhysical(slot));
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** Settings from their JSON form (the config key); unknown keys are an error. */
    public static ClusterSettings fromJson(String json) {
        try {
            return JSON.readValue(json, ClusterSettings.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ConfigException("invalid cluster settings: " + e.getOriginalMessage());
        }
    }

    /** Synchronous replication is on (strict or not). */
    public boolean synchronous() {
        return synchronousMode || synchronousModeStrict;
    }

    /**
     * A named synchronous standby may take over before the leader lease expires, on evidence that the
     * leader is gone (docs/architecture.md, "Fast takeover"): synchronous mode (FIRST n), not paused.
     */
    public boolean fastTakeoverOn() {
        return fastTakeover && synchronous() && !pause;
    }

    /** Maintenance mode: agents report but take no automatic action. */
    public boolean paused() {
        return pause;
    }

    public static ClusterSettings defaults() {
        return new ClusterSettings(null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null);
    }

    /** Every problem found, each naming its key under {@code prefix}; empty when valid. */
    public List<String> problems(String prefix) {
        List<String> out = new ArrayList<>();
        if (ttl < 3) out.add(prefix + "ttl is " + ttl + "; it must be at least 3 seconds (etcd's smallest lease)");
        if (loopWait < 1) out.add(prefix + "loop_wait is " + loopWait + "; it must be at least 1 second");
        if (retryTimeout < 1) out.add(prefix + "retry_timeout is " + retryTimeout + "; it must be at least 1 second");
        if (loopWait + 2 * retryTimeout > ttl) {
            out.add(prefix + "loop_wait + 2 * retry_timeout (" + loopWait + " + 2 * " + retryTimeout + " = "
                    + (loopWait + 2 * retryTimeout) + ") must not exceed ttl (" + ttl
                    + "), or the leader could lose its key before it notices; raise ttl or lower the others");
        }
        if (maximumLagOnFailover < 0) out.add(prefix + "maximum_lag_on_failover must not be negative");
        if (memberSlotsTtl < 0) out.add(prefix + "member_slots_ttl must not be negative");
        if (primaryStartTimeout < 0) out.add(prefix + "primary_start_timeout must not be negative");
        if (synchronousNodeCount < 1) out.add(prefix + "synchronous_node_count must be at least 1");
        if (unreachableFor < 1 || unreachableFor >= ttl) {
            out.add(prefix + "unreachable_for is " + unreachableFor + "; it must be at least 1 second and less than ttl ("
                    + ttl + "), or the fast takeover could never come before the lease expires");
        }
        if (postgresql.parameters().containsKey("synchronous_standby_names") && synchronous()) {
            out.add(prefix + "postgresql.parameters.synchronous_standby_names is managed by Vigil in synchronous_mode;"
                    + " remove it");
        }
        out.addAll(PermanentSlot.problems(prefix, slots));
        if (!slots.isEmpty() && !postgresql.useSlots()) {
            out.add(prefix + "slots needs postgresql.use_slots: true (it is false); turn it on or remove slots");
        }
        out.addAll(PermanentSlot.Ignored.problems(prefix, ignoreSlots));
        postgresql.parameters().forEach((k, v) -> {
            if (MANAGED_PARAMETERS.contains(k)) {
                out.add(prefix + "postgresql.parameters." + k + " is set by Vigil from the node config; remove it here");
            } else if (v instanceof Map || v instanceof List) {
                out.add(prefix + "postgresql.parameters." + k + " must be a single value (string, number or boolean)");
            }
        });
        return out;
    }

    public Duration ttlDuration() {
        return Duration.ofSeconds(ttl);
    }

    public Duration loopWaitDuration() {
        return Duration.ofSeconds(loopWait);
    }

    public Duration retryTimeoutDuration() {
        return Duration.ofSeconds(retryTimeout);
    }

    /** Every duration derived from ttl, loop_wait and retry_timeout, with the watchdog's margin (0: none). */
    public Timing timing(int watchdogMarginSeconds) {
        return Timing.of(this, watchdogMarginSeconds);
    }

    /** The derived durations where the watchdog's margin plays no part (all but the leader lease). */
    public Timing timing() {
        return timing(0);
    }
}
