package io.vigil.agent.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.agent.core.NodeRole;
import io.vigil.agent.ha.NodeStatus;
import io.vigil.agent.core.LocalPostgres;
import io.vigil.cluster.ClusterView;
import io.vigil.cluster.Lsn;
import io.vigil.config.Tags;
import io.vigil.config.ClusterSettings;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HealthChecksTest {
    private static final long SEC = 1_000_000_000L;
    private static final ClusterSettings SETTINGS = new ClusterSettings(30, 10, 10, 1_048_576L, null, null, null, null, null, null, null, null, null, null, null, null);

    private static NodeStatus primary(long cycleEnded, long leaderUntil) {
        LocalPostgres pg = new LocalPostgres(true, true, true, false, 1, new Lsn(100), null, null, false, null, "1",
                150018, null, null, List.of(), java.util.Map.of(), false, null);
        return new NodeStatus("s", "n1", NodeRole.PRIMARY, true, pg, Optional.empty(), SETTINGS, Tags.NONE, "", List.of(),
                null, cycleEnded, leaderUntil, 0, null, false);
    }

    private static NodeStatus replica(long replayLsn, long leaderLsn, Tags tags) {
        LocalPostgres pg = new LocalPostgres(true, true, true, true, 1, null, new Lsn(replayLsn), new Lsn(replayLsn), true,
                "n1", "1", 150018, null, 0L, List.of(), java.util.Map.of(), false, null);
        ClusterView v = new ClusterView(Optional.of("1"), Optional.empty(), Map.of(), SETTINGS, 1, leaderLsn, List.of(), 0, Optional.empty(), 1, io.vigil.cluster.SyncState.NONE);
        return new NodeStatus("s", "n2", NodeRole.REPLICA, false, pg, Optional.of(v), SETTINGS, tags, "", List.of(),
                null, 100 * SEC, 0, 0, null, false);
    }

    @Test
    void primaryIsHealthyOnlyWhileItsLeaseDeadlineIsAhead() {
        assertThat(HealthChecks.primary(primary(100 * SEC, 120 * SEC), 101 * SEC)).isTrue();
        assertThat(HealthChecks.primary(primary(100 * SEC, 120 * SEC), 121 * SEC)).isFalse();
    }

    @Test
    void aStuckLoopStopsAnsweringHealthy() {
        NodeStatus stale = primary(100 * SEC, 10_000 * SEC);
        assertThat(HealthChecks.primary(stale, 200 * SEC)).isFalse();
        assertThat(HealthChecks.health(stale, 200 * SEC)).isFalse();
        assertThat(HealthChecks.liveness(stale, 200 * SEC)).isFalse();
    }

    @Test
    void aReplicaWithoutAWalStreamIsReadyOnlyWhenTaggedNostream() {
        LocalPostgres archive = new LocalPostgres(true, true, true, true, 1, null, new Lsn(1000), new Lsn(1000), false,
                "n1", "1", 150018, null, 0L, List.of(), java.util.Map.of(), false, null);
        ClusterView v = new ClusterView(Optional.of("1"), Optional.empty(), Map.of(), SETTINGS, 1, 1000, List.of(), 0,
                Optional.empty(), 1, io.vigil.cluster.SyncState.NONE);
        Tags noStream = new Tags(false, false, false, false, null, null, true);
        NodeStatus plain = new NodeStatus("s", "n2", NodeRole.REPLICA, false, archive, Optional.of(v), SETTINGS, Tags.NONE,
                "", List.of(), null, 100 * SEC, 0, 0, null, false);
        NodeStatus tagged = new NodeStatus("s", "n2", NodeRole.REPLICA, false, archive, Optional.of(v), SETTINGS, noStream,
                "", List.of(), null, 100 * SEC, 0, 0, null, false);
        assertThat(HealthChecks.readiness(plain, 101 * SEC, null, false)).isFalse();
        assertThat(HealthChecks.readiness(tagged, 101 * SEC, null, false)).isTrue();
        assertThat(HealthChecks.replica(tagged, 101 * SEC, null, Map.of("nostream", "true"))).isTrue();
    }

    @Test
    void replicaChecksLagAndTags() {
        NodeStatus r = replica(1000, 1000 + 2 * 1048576, Tags.NONE);
        assertThat(HealthChecks.replica(r, 101 * SEC, null, Map.of())).isTrue();
        assertThat(HealthChecks.replica(r, 101 * SEC, LagLimit.parse("1MB"), Map.of())).isFalse();
        assertThat(HealthChecks.replica(r, 101 * SEC, LagLimit.parse("16MB"), Map.of())).isTrue();
        assertThat(HealthChecks.replica(r, 101 * SEC, null, Map.of("nofailover", "false"))).isTrue();
        assertThat(HealthChecks.replica(r, 101 * SEC, null, Map.of("zone", "eu"))).isFalse();
        assertThat(HealthChecks.replica(replica(0, 0, new Tags(false, true, false, false, null, null)), 101 * SEC, null,
                Map.of())).isFalse();
        assertThat(HealthChecks.primary(r, 101 * SEC)).isFalse();
    }

    @Test
    void readinessMeasuresReplayedWalOrReceivedWithModeWrite() {
        // received all of the leader's WAL, replay paused 2 MB behind (maximum_lag_on_failover: 1 MB)
        long leaderLsn = 1000 + 2 * 1048576;
        LocalPostgres pg = new LocalPostgres(true, true, true, true, 1, null, new Lsn(leaderLsn), new Lsn(1000), true,
                "n1", "1", 150018, null, 5L, List.of(), java.util.Map.of(), false, null);
        ClusterView v = new ClusterView(Optional.of("1"), Optional.empty(), Map.of(), SETTINGS, 1, leaderLsn, List.of(), 0,
                Optional.empty(), 1, io.vigil.cluster.SyncState.NONE);
        NodeStatus r = new NodeStatus("s", "n2", NodeRole.REPLICA, false, pg, Optional.of(v), SETTINGS, Tags.NONE, "",
                List.of(), null, 100 * SEC, 0, 0, null, false);
        assertThat(HealthChecks.readiness(r, 101 * SEC, null, false)).isFalse();
        assertThat(HealthChecks.readiness(r, 101 * SEC, null, true)).isTrue();
        assertThat(HealthChecks.readiness(r, 101 * SEC, LagLimit.parse("4MB"), false)).isTrue();
        assertThat(HealthChecks.readiness(r, 101 * SEC, LagLimit.parse("10s"), false)).isTrue();
        assertThat(HealthChecks.readiness(r, 101 * SEC, LagLimit.parse("2s"), false)).isFalse();
        assertThat(HealthChecks.readiness(replica(1000, 1000, Tags.NONE), 101 * SEC, null, false)).isTrue();
        assertThat(HealthChecks.readiness(primary(100 * SEC, 120 * SEC), 101 * SEC, LagLimit.parse("0"), false)).isTrue();
    }

    private static final ClusterSettings SYNCHRONOUS = new ClusterSettings(30, 10, 10, 1_048_576L, null, null, null, null,
            true, null, null, null, null, null, null, null);

    /** A replica named {@code name} in a cluster whose sync key names {@code syncStandby}. */
    private static NodeStatus replicaOf(String name, ClusterSettings settings, String syncStandby, boolean etcdSeen) {
        LocalPostgres pg = new LocalPostgres(true, true, true, true, 1, null, new Lsn(1000), new Lsn(1000), true,
                "n1", "1", 150018, null, 0L, List.of(), java.util.Map.of(), false, null);
        ClusterView v = new ClusterView(Optional.of("1"), Optional.empty(), Map.of(), settings, 1, 1000, List.of(), 0,
                Optional.empty(), 1, io.vigil.cluster.SyncState.parse("n1", syncStandby, 7));
        return new NodeStatus("s", name, NodeRole.REPLICA, false, pg, etcdSeen ? Optional.of(v) : Optional.empty(),
                settings, Tags.NONE, "", List.of(), null, 100 * SEC, 0, 0, null, false);
    }

    @Test
    void syncAndAsyncFollowTheSyncKeyInSynchronousModeOnly() {
        NodeStatus named = replicaOf("n2", SYNCHRONOUS, "n2", true);
        NodeStatus other = replicaOf("n3", SYNCHRONOUS, "n2", true);
        assertThat(named.isSynchronousStandby()).isTrue();
        assertThat(HealthChecks.synchronous(named, 101 * SEC, null, Map.of())).isTrue();
        assertThat(HealthChecks.asynchronous(named, 101 * SEC, null, Map.of())).isFalse();
        assertThat(HealthChecks.synchronous(other, 101 * SEC, null, Map.of())).isFalse();
        assertThat(HealthChecks.asynchronous(other, 101 * SEC, null, Map.of())).isTrue();
        // a sync key left over from synchronous mode names nobody once the mode is off
        NodeStatus modeOff = replicaOf("n2", SETTINGS, "n2", true);
        assertThat(HealthChecks.synchronous(modeOff, 101 * SEC, null, Map.of())).isFalse();
        assertThat(HealthChecks.asynchronous(modeOff, 101 * SEC, null, Map.of())).isTrue();
    }

    @Test
    void syncAndAsyncApplyTheReplicaChecksAndNeedEtcd() {
        NodeStatus named = replicaOf("n2", SYNCHRONOUS, "n2", true);
        assertThat(HealthChecks.synchronous(named, 101 * SEC, null, Map.of("zone", "eu"))).isFalse();
        assertThat(HealthChecks.synchronous(named, 10_000 * SEC, null, Map.of())).as("stuck loop").isFalse();
        NodeStatus noEtcd = replicaOf("n2", SYNCHRONOUS, "n2", false);
        assertThat(HealthChecks.synchronous(noEtcd, 101 * SEC, null, Map.of())).isFalse();
        assertThat(HealthChecks.asynchronous(noEtcd, 101 * SEC, null, Map.of())).isFalse();
        assertThat(HealthChecks.asynchronous(primary(100 * SEC, 120 * SEC), 101 * SEC, null, Map.of())).isFalse();
    }

    @Test
    void duringAnEtcdOutageTheLastViewReadWithinTtlStillAnswers() {
        NodeStatus seen = replicaOf("n2", SYNCHRONOUS, "n2", true);
        NodeStatus outage = new NodeStatus(seen.scope(), seen.name(), seen.role(), false, seen.local(), Optional.empty(),
                seen.settings(), seen.tags(), "", List.of(), null, seen.cycleEndedNanos(), 0, 0, null, false, Map.of(),
                seen.cluster());
        assertThat(HealthChecks.synchronous(outage, 101 * SEC, null, Map.of())).as("last view, within ttl").isTrue();
        NodeStatus otherDuringOutage = new NodeStatus(seen.scope(), "n3", seen.role(), false, seen.local(),
                Optional.empty(), seen.settings(), seen.tags(), "", List.of(), null, seen.cycleEndedNanos(), 0, 0, null,
                false, Map.of(), seen.cluster());
        assertThat(HealthChecks.asynchronous(otherDuringOutage, 101 * SEC, null, Map.of())).isTrue();
    }

    @ParameterizedTest
    @CsvSource({"1048576,1048576,", "16MB,16777216,", "1 kB,1024,", "10s,,10", "2min,,120"})
    void lagParsesSizesAndDurations(String text, Long bytes, Long seconds) {
        assertThat(LagLimit.parse(text)).isEqualTo(new LagLimit(bytes, seconds));
    }

    @Test
    void badLagIsRejectedWithItsReason() {
        assertThatThrownBy(() -> LagLimit.parse("lots")).hasMessageContaining("not a size");
        assertThatThrownBy(() -> LagLimit.parse("5 parsecs")).hasMessageContaining("unit 'parsecs' is unknown");
    }
}
