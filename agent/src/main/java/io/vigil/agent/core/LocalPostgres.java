package io.vigil.agent.core;

import io.vigil.cluster.Lsn;
import java.time.Instant;
import java.util.List;

/**
 * What the agent saw of its own Postgres in one observation.
 *
 * @param hasData     the data directory holds a cluster (PG_VERSION exists)
 * @param running     a postmaster process for the data directory is alive
 * @param accepting   it answered a query (false while starting or in crash recovery)
 * @param inRecovery  pg_is_in_recovery(); when stopped, whether it was a standby at shutdown
 * @param timeline    current timeline (0 when unknown)
 * @param writeLsn    primary: pg_current_wal_lsn(); stopped: the checkpoint location
 * @param receiveLsn  replica: last WAL received and flushed
 * @param replayLsn   replica: last WAL replayed
 * @param streaming   replica: the WAL receiver is streaming
 * @param upstream    member this node was last pointed at (primary_conninfo), or null
 * @param systemId    database system identifier, or null when unknown
 * @param replication rows of pg_stat_replication (primary only)
 * @param slots       physical replication slots present, each with its restart_lsn
 * @param pendingRestart a changed parameter waits for a restart (pg_settings.pending_restart)
 * @param syncStandbyNames synchronous_standby_names in force (null when not running)
 * @param postmasterStartTime pg_postmaster_start_time(), or null when not running
 * @param replayPaused replica: pg_is_wal_replay_paused()
 * @param lastReplayed replica: pg_last_xact_replay_timestamp(), or null (nothing replayed since start)
 */
public record LocalPostgres(
        boolean hasData,
        boolean running,
        boolean accepting,
        boolean inRecovery,
        long timeline,
        Lsn writeLsn,
        Lsn receiveLsn,
        Lsn replayLsn,
        boolean streaming,
        String upstream,
        String systemId,
        Integer serverVersion,
        Instant postmasterStartTime,
        Long replayLagSeconds,
        List<ReplicationRow> replication,
        java.util.Map<String, Lsn> slots,
        boolean pendingRestart,
        String syncStandbyNames,
        boolean replayPaused,
        Instant lastReplayed) {

    /** Without replay state (a primary, a stopped node, or a replica replaying nothing yet). */
    public LocalPostgres(boolean hasData, boolean running, boolean accepting, boolean inRecovery, long timeline,
                         Lsn writeLsn, Lsn receiveLsn, Lsn replayLsn, boolean streaming, String upstream,
                         String systemId, Integer serverVersion, Instant postmasterStartTime, Long replayLagSeconds,
                         List<ReplicationRow> replication, java.util.Map<String, Lsn> slots, boolean pendingRestart,
                         String syncStandbyNames) {
        this(hasData, running, accepting, inRecovery, timeline, writeLsn, receiveLsn, replayLsn, streaming, upstream,
                systemId, serverVersion, postmasterStartTime, replayLagSeconds, replication, slots, pendingRestart,
                syncStandbyNames, false, null);
    }

    public static LocalPostgres noData() {
        return new LocalPostgres(false, false, false, false, 0, null, null, null, false, null, null, null, null,
                null, List.of(), java.util.Map.of(), false, null);
    }

    public boolean isRunningPrimary() {
        return running && accepting && !inRecovery;
    }

    public boolean isRunningReplica() {
        return running && accepting && inRecovery;
    }

    /** How far this node's WAL reaches: the write position on a primary, received or replayed on a replica. */
    public Lsn walPosition() {
        if (!inRecovery && writeLsn != null) {
            return writeLsn;
        }
        Lsn best = Lsn.max(receiveLsn, replayLsn);
        return best != null ? best : (writeLsn != null ? writeLsn : Lsn.ZERO);
    }

    /** One row of pg_stat_replication. */
    public record ReplicationRow(String usename, String applicationName, String clientAddr, String state,
                                 String syncState, int syncPriority, Lsn sentLsn, Lsn flushLsn, Lsn replayLsn,
                                 Double replayLagSeconds) {
    }
}
