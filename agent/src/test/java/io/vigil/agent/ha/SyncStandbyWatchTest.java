package io.vigil.agent.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.agent.pg.ReplicationWatch;
import io.vigil.cluster.Lsn;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SyncStandbyWatchTest {
    private static final Map<String, String> MEMBERS = Map.of("n2", "n2", "n3", "n3");

    private static SyncStandbyWatch.Target target(Set<String> waitedFor, Set<String> named, long maxLag) {
        return new SyncStandbyWatch.Target(MEMBERS, waitedFor, named, 1, maxLag, 3_000_000_000L);
    }

    @Test
    void looksAgainSoonOnlyWhileAStandbyIsBeingConfirmedAfterAChange() {
        var settled = target(Set.of("n2"), Set.of("n2"), -1);
        assertThat(SyncStandbyWatch.confirming(settled, Set.of("n2"), true)).isFalse();
        var confirming = target(Set.of("n2"), Set.of(), -1);
        assertThat(SyncStandbyWatch.confirming(confirming, Set.of(), true)).isTrue();
        assertThat(SyncStandbyWatch.confirming(confirming, Set.of(), false)).as("long after the change").isFalse();
        assertThat(SyncStandbyWatch.confirming(confirming, Set.of("n2"), true)).isFalse();
        var anyStandby = target(Set.of("*"), Set.of(), -1);
        assertThat(SyncStandbyWatch.confirming(anyStandby, Set.of(), true)).as("'*' names no member to confirm")
                .isFalse();
    }

    @Test
    void settledOnceTheKeyNamesEnoughConfirmedStandbys() {
        assertThat(SyncStandbyWatch.settled(target(Set.of("n2"), Set.of("n2"), -1), Set.of("n2"))).isTrue();
        assertThat(SyncStandbyWatch.settled(target(Set.of("n2"), Set.of("n2"), -1), Set.of())).isFalse();
        assertThat(SyncStandbyWatch.settled(target(Set.of(), Set.of(), -1), Set.of())).isFalse();
    }

    @Test
    void theFingerprintChangesWhenAStandbyConnectsLeavesChangesItsSyncStateOrFallsBehind() {
        var t = target(Set.of("n2"), Set.of("n2"), 1000);
        String before = fingerprint(t, 5000, "n2:streaming:sync:4500");
        assertThat(fingerprint(t, 5200, "n2:streaming:sync:4900")).as("WAL moving on alone").isEqualTo(before);
        assertThat(fingerprint(t, 5000, "n2:streaming:sync:4500", "n3:streaming:async:4500")).isNotEqualTo(before);
        assertThat(fingerprint(t, 5000)).isNotEqualTo(before);
        assertThat(fingerprint(t, 5000, "n2:streaming:potential:4500")).isNotEqualTo(before);
        assertThat(fingerprint(t, 9000, "n2:streaming:sync:4500")).as("more than maximum_lag_on_syncnode behind")
                .isNotEqualTo(before);
        assertThat(fingerprint(t, 5000, "n2:streaming:sync:4500", "stranger:streaming:async:1"))
                .as("a client that is no member").isEqualTo(before);
    }

    /** Standbys as slot:state:syncState:flushLsn. */
    private static String fingerprint(SyncStandbyWatch.Target t, long writeLsn, String... standbys) {
        List<ReplicationWatch.Standby> rows = java.util.Arrays.stream(standbys).map(s -> s.split(":"))
                .map(p -> new ReplicationWatch.Standby(p[0], p[1], p[2], new Lsn(Long.parseLong(p[3])))).toList();
        return SyncStandbyWatch.fingerprint(new ReplicationWatch.Look(rows, new Lsn(writeLsn), true, ""), t);
    }
}
