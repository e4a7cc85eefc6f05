package io.vigil.agent.rest;

import io.vigil.agent.ha.HaLoop;
import io.vigil.agent.ha.NodeStatus;
import io.vigil.agent.core.LocalPostgres;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Member;
import io.vigil.cluster.TimelineSwitch;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds the JSON bodies of the REST API from a {@link NodeStatus}, with Patroni's field names. */
final class StatusJson {
    private StatusJson() {
    }

    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    /** A time as Patroni prints one (Python's str of a datetime, in UTC): 2026-11-26 15:46:51.623095+00:00. */
    static String timestamp(Instant t) {
        OffsetDateTime utc = t.atOffset(ZoneOffset.UTC);
        int micros = utc.getNano() / 1000;
        return SECONDS.format(utc) + (micros == 0 ? "" : String.format(".%06d", micros)) + "+00:00";
    }

    /** GET /patroni: this node. */
    static Map<String, Object> node(NodeStatus s) {
        LocalPostgres pg = s.local();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", s.state());
        if (pg.postmasterStartTime() != null) m.put("postmaster_start_time", timestamp(pg.postmasterStartTime()));
        m.put("role", roleWord(s));
        if (pg.serverVersion() != null) m.put("server_version", pg.serverVersion());
        Map<String, Object> xlog = new LinkedHashMap<>();
        if (pg.running() && pg.accepting()) {
            if (pg.inRecovery()) {
                xlog.put("received_location", pg.receiveLsn() == null ? null : pg.receiveLsn().value());
                xlog.put("replayed_location", pg.replayLsn() == null ? null : pg.replayLsn().value());
                xlog.put("replayed_timestamp", pg.lastReplayed() == null ? null : timestamp(pg.lastReplayed()));
                xlog.put("paused", pg.replayPaused());
            } else {
                xlog.put("location", pg.writeLsn().value());
            }
            m.put("xlog", xlog);
        } else if (pg.hasData() && pg.writeLsn() != null) {
            // Vigil's own field: how far this data directory reaches while Postgres does not answer (elections wait on it)
            m.put("checkpoint_location", pg.writeLsn().value());
        }
        if (pg.timeline() != 0) m.put("timeline", pg.timeline());
        if (!pg.replication().isEmpty()) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (LocalPostgres.ReplicationRow r : pg.replication()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("usename", r.usename());
                row.put("application_name", r.applicationName());
                row.put("client_addr", r.clientAddr());
                row.put("state", r.state());
                row.put("sync_state", r.syncState());
                row.put("sync_priority", r.syncPriority());
                if (r.replayLsn() != null && pg.writeLsn() != null) {
                    row.put("lag_bytes", pg.writeLsn().bytesAfter(r.replayLsn()));
                }
                if (r.replayLagSeconds() != null) row.put("lag_seconds", r.replayLagSeconds());
                rows.add(row);
            }
            m.put("replication", rows);
        }
        if (s.isSynchronousStandby()) m.put("sync_standby", true);
        if (s.etcdLastSeenEpochSeconds() > 0) m.put("dcs_last_seen", s.etcdLastSeenEpochSeconds());
        if (pg.systemId() != null) m.put("database_system_identifier", pg.systemId());
        if (s.cluster().map(c -> c.leader().isEmpty()).orElse(false)) m.put("cluster_unlocked", true);
        if (s.failsafeActive()) m.put("failsafe_mode_is_active", true);
        if (pg.pendingRestart()) m.put("pending_restart", true);
        if (!s.refusedParameters().isEmpty()) m.put("refused_parameters", s.refusedParameters());
        if (s.settings().paused()) m.put("pause", true);
        if (!s.tags().equals(io.vigil.config.Tags.NONE)) m.put("tags", s.tags());   // as Patroni: only when set
        if (s.scheduledRestart() != null) {
            Map<String, Object> sr = new LinkedHashMap<>();
            sr.put("schedule", s.scheduledRestart().at().toString());
            if (s.scheduledRestart().restart().role() != null) sr.put("role", s.scheduledRestart().restart().role());
            if (s.scheduledRestart().restart().onlyIfPending()) sr.put("restart_pending", true);
            m.put("scheduled_restart", sr);
        }
        Map<String, Object> patroni = new LinkedHashMap<>();
        patroni.put("version", HaLoop.VERSION);
        patroni.put("scope", s.scope());
        patroni.put("name", s.name());
        m.put("patroni", patroni);
        Map<String, Object> vigil = new LinkedHashMap<>();
        vigil.put("role", s.role().name().toLowerCase());
        vigil.put("decision", s.decision());
        vigil.put("actions", s.actions());
        if (s.lastError() != null) vigil.put("last_error", s.lastError());
        s.cluster().map(io.vigil.cluster.ClusterView::settingsProblem)
                .ifPresent(p -> vigil.put("config_refused", p + "; the settings in force stay"));
        m.put("vigil", vigil);
        return m;
    }

    private static String roleWord(NodeStatus s) {
        LocalPostgres pg = s.local();
        if (!pg.running() || !pg.accepting()) return pg.inRecovery() ? "replica" : "uninitialized";
        return pg.inRecovery() ? "replica" : "primary";
    }

    /**
     * A replica's WAL position and its lag behind the leader's, as Patroni 4.1 shows them
     * ({@code lsn}/{@code lag}, {@code receive_lsn}/{@code receive_lag}, {@code replay_lsn}/{@code replay_lag}):
     * "unknown" when the member did not publish it, no lag while the leader's position is unknown.
     */
    private static void putPosition(Map<String, Object> m, String kind, Long lsn, long leaderLsn) {
        if (lsn == null) {
            m.put(kind + "lsn", "unknown");
            m.put(kind + "lag", "unknown");
            return;
        }
        m.put(kind + "lsn", new io.vigil.cluster.Lsn(lsn).toString());
        if (leaderLsn > 0) m.put(kind + "lag", Math.max(0, leaderLsn - lsn));
    }

    /** {@code permanent_slots}: each permanent slot's readiness on a member, and its lag behind the leader's. */
    private static void putSlots(Map<String, Object> m, List<io.vigil.cluster.SlotReadiness> slots) {
        if (slots.isEmpty()) return;
        Map<String, Object> out = new LinkedHashMap<>();
        for (io.vigil.cluster.SlotReadiness r : slots) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("ready", r.ready());
            one.put("lag", r.lagBytes() == null ? "unknown" : r.lagBytes());
            out.put(r.slot(), one);
        }
        m.put("permanent_slots", out);
    }

    /** GET /cluster: every member as etcd knows it. */
    static Map<String, Object> cluster(NodeStatus s) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("scope", s.scope());
        List<Map<String, Object>> members = new ArrayList<>();
        ClusterView view = s.cluster().orElse(null);
        if (view != null) {
            String leader = view.leader().map(l -> l.name()).orElse(null);
            long leaderLsn = view.leaderPosition();
            for (Member mem : view.members().values()) {
                Map<String, Object> m = new LinkedHashMap<>();
                boolean isLeader = mem.name().equals(leader);
                m.put("name", mem.name());
                boolean sync = view.sync().namesInSynchronousMode(s.settings(), mem.name());
                m.put("role", isLeader ? "leader" : sync ? "sync_standby" : "replica");
                m.put("state", mem.state());
                m.put("api_url", mem.apiUrl());
                if (mem.connUrl() != null) {
                    m.put("host", mem.host());
                    m.put("port", mem.port());
                }
                if (mem.timeline() != null) m.put("timeline", mem.timeline());
                if (!isLeader) {
                    putPosition(m, "", mem.xlogLocation(), leaderLsn);
                    putPosition(m, "receive_", mem.receiveLsn(), leaderLsn);
                    putPosition(m, "replay_", mem.replayLsn(), leaderLsn);
                }
                if (mem.tags() != null && !mem.tags().equals(io.vigil.config.Tags.NONE)) m.put("tags", mem.tags());
                if (leader != null && mem.seesUnreachable(leader)) m.put("leader_unreachable", mem.leaderUnreachable());
                if (isLeader || mem.mayPromote()) putSlots(m, io.vigil.cluster.SlotReadiness.of(view, mem));
                if (!isLeader) {
                    String why = SwitchoverCheck.notEligible(s, view, leader, mem);
                    if (why != null) m.put("not_a_candidate", why);
                }
                members.add(m);
            }
        }
        out.put("members", members);
        if (view != null && view.leader().isEmpty() && !members.isEmpty()
                && members.stream().allMatch(m -> m.containsKey("not_a_candidate"))) {
            out.put("no_candidate", "no member may become leader: " + members.stream()
                    .map(m -> String.valueOf(m.get("not_a_candidate"))).collect(java.util.stream.Collectors.joining("; ")));
        }
        if (s.settings().paused()) out.put("pause", true);
        if (view != null && s.settings().synchronous()) {
            out.put("synchronous_standbys", new java.util.TreeSet<>(view.sync().members()));
            if (view.sync().leaderRunsAlone()) {
                out.put("no_sync_standby", view.sync().leader() + " runs without a synchronous standby"
                        + (view.sync().noStandbySince() == null ? "" : " since " + view.sync().noStandbySince())
                        + "; only it may be promoted");
            }
        }
        if (view != null) {
            view.failover().filter(f -> f.scheduledAt() != null).ifPresent(f -> {
                Map<String, Object> sw = new LinkedHashMap<>();
                sw.put("at", f.scheduledAt());
                if (f.leader() != null) sw.put("from", f.leader());
                sw.put("to", f.member());
                out.put("scheduled_switchover", sw);
            });
        }
        if (view == null) out.put("error", "etcd is unreachable from this node; members are unknown");
        return out;
    }

    /** GET /history: Patroni's array rows [timeline, lsn, reason, time, new_leader]. */
    static List<List<Object>> history(NodeStatus s) {
        List<List<Object>> rows = new ArrayList<>();
        for (TimelineSwitch t : s.cluster().map(ClusterView::history).orElse(List.of())) {
            rows.add(List.of(t.timeline(), t.lsn(), t.reason(), t.time(), t.newLeader()));
        }
        return rows;
    }
}
