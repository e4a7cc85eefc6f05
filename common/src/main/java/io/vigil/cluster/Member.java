package io.vigil.cluster;

import io.vigil.config.HostPort;
import io.vigil.config.Tags;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What an agent publishes about its node in {@code members/<name>} every loop.
 * Field names follow Patroni's member key where the concept is the same. {@code refusedParameters}:
 * cluster-wide Postgres parameter values this node's Postgres refuses, so it keeps others (by name:
 * what it keeps and why); null when none. {@code pause}: true while the cluster is paused, as this
 * member saw it (patronictl's {@code pause --wait} waits for every member to say so);
 * {@code scheduledRestart}: the restart an operator scheduled here; {@code permanentSlots}: the permanent
 * slots in place on this node, each with its restart_lsn (null when the config has none).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Member(
        @JsonProperty("name") String name,
        @JsonProperty("conn_url") String connUrl,
        @JsonProperty("api_url") String apiUrl,
        @JsonProperty("state") MemberState state,
        @JsonProperty("role") MemberRole role,
        @JsonProperty("version") String version,
        @JsonProperty("xlog_location") Long xlogLocation,
        @JsonProperty("receive_lsn") Long receiveLsn,
        @JsonProperty("replay_lsn") Long replayLsn,
        @JsonProperty("timeline") Long timeline,
        @JsonProperty("tags") Tags tags,
        @JsonProperty("upstream") String upstream,
        @JsonProperty("pending_restart") Boolean pendingRestart,
        @JsonProperty("watchdog_failed") Boolean watchdogFailed,
        @JsonProperty("refused_parameters") java.util.Map<String, String> refusedParameters,
        @JsonProperty("leader_unreachable") LeaderUnreachable leaderUnreachable,
        @JsonProperty("pause") Boolean pause,
        @JsonProperty("scheduled_restart") ScheduledRestart scheduledRestart,
        @JsonProperty("permanent_slots") java.util.Map<String, Long> permanentSlots) {

    /** Without permanent slots. */
    public Member(String name, String connUrl, String apiUrl, MemberState state, MemberRole role, String version,
                  Long xlogLocation, Long receiveLsn, Long replayLsn, Long timeline, Tags tags, String upstream,
                  Boolean pendingRestart, Boolean watchdogFailed, java.util.Map<String, String> refusedParameters,
                  LeaderUnreachable leaderUnreachable, Boolean pause, ScheduledRestart scheduledRestart) {
        this(name, connUrl, apiUrl, state, role, version, xlogLocation, receiveLsn, replayLsn, timeline, tags, upstream,
                pendingRestart, watchdogFailed, refusedParameters, leaderUnreachable, pause, scheduledRestart, null);
    }

    /**
     * A restart scheduled on this member, as Patroni publishes it: {@code schedule} (ISO-8601) and,
     * when the restart is only for older servers, {@code postgres_version}.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ScheduledRestart(@JsonProperty("schedule") String schedule,
                                   @JsonProperty("postgres_version") String postgresVersion) {
    }

    /** Without the pause mark or a scheduled restart. */
    public Member(String name, String connUrl, String apiUrl, MemberState state, MemberRole role, String version,
                  Long xlogLocation, Long receiveLsn, Long replayLsn, Long timeline, Tags tags, String upstream,
                  Boolean pendingRestart, Boolean watchdogFailed, java.util.Map<String, String> refusedParameters,
                  LeaderUnreachable leaderUnreachable) {
        this(name, connUrl, apiUrl, state, role, version, xlogLocation, receiveLsn, replayLsn, timeline, tags, upstream,
                pendingRestart, watchdogFailed, refusedParameters, leaderUnreachable, null, null);
    }

    /**
     * This member's evidence that {@code leader} is gone: its WAL receiver, a connection to the
     * leader's Postgres port and the leader's REST /liveness have all failed since {@code since}
     * (ISO-8601, this member's clock). Written on change only, cleared when the leader answers again.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record LeaderUnreachable(@JsonProperty("leader") String leader, @JsonProperty("since") String since) {
        /** {@code since} in epoch milliseconds, or null when it does not parse. */
        public Long sinceEpochMillis() {
            try {
                return java.time.OffsetDateTime.parse(since).toInstant().toEpochMilli();
            } catch (RuntimeException e) {
                return null;
            }
        }
    }

    /** Without refused parameters or evidence about the leader. */
    public Member(String name, String connUrl, String apiUrl, MemberState state, MemberRole role, String version,
                  Long xlogLocation, Long receiveLsn, Long replayLsn, Long timeline, Tags tags, String upstream,
                  Boolean pendingRestart, Boolean watchdogFailed) {
        this(name, connUrl, apiUrl, state, role, version, xlogLocation, receiveLsn, replayLsn, timeline, tags, upstream,
                pendingRestart, watchdogFailed, null, null, null, null);
    }

    /** This member under another name (the key's, which wins over the value's). */
    public Member named(String other) {
        return new Member(other, connUrl, apiUrl, state, role, version, xlogLocation, receiveLsn, replayLsn, timeline, tags,
                upstream, pendingRestart, watchdogFailed, refusedParameters, leaderUnreachable, pause, scheduledRestart,
                permanentSlots);
    }

    /** Whether this member has published {@code leader} unreachable. */
    public boolean seesUnreachable(String leader) {
        return leaderUnreachable != null && leader.equals(leaderUnreachable.leader());
    }

    /** A replica that answers: streaming, or running without a streaming WAL receiver. */
    public boolean isHealthyReplica() {
        return role == MemberRole.REPLICA && (state == MemberState.STREAMING || state == MemberState.RUNNING);
    }

    /** A primary that answers queries. */
    public boolean isRunningPrimary() {
        return role == MemberRole.PRIMARY && state == MemberState.RUNNING;
    }

    public Tags tagsOrNone() {
        return tags == null ? Tags.NONE : tags;
    }

    /** Neither its tags nor a required watchdog that does not work keep this member from promoting. */
    public boolean mayPromote() {
        return tagsOrNone().mayPromote() && !Boolean.TRUE.equals(watchdogFailed);
    }

    /** Host part of conn_url (postgres://host:port/db). */
    public String host() {
        return HostPort.fromUrl(connUrl).host();
    }

    public int port() {
        return HostPort.fromUrl(connUrl).port();
    }
}
